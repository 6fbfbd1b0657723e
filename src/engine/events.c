/* events.c - reading one customer's events from the outbox, after a cursor. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "engine/db.h"
#include "engine/events.h"

/* Every event of one customer, by its per-customer number seq (sql/007):
 * the unique key (customer_id, seq) serves the cursor, and no gap in it
 * counts another customer's events.  One row more than asked tells
 * whether more follow. */
static const struct db_stmt events_st_list = {
	"events_list",
	"SELECT coalesce(json_agg(json_build_object("
	"  'id', e.seq, 'type', e.type,"
	"  'createdAt', to_char(e.created_at AT TIME ZONE 'UTC',"
	"   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	"  'fileId', e.file_id, 'filePath', e.storage_key, 'size', e.size,"
	"  'used', e.used, 'limit', e.quota_limit, 'threshold', e.threshold,"
	"  'actor', e.actor) ORDER BY e.seq), '[]')::text"
	" FROM (SELECT * FROM storage_events WHERE customer_id = $1::uuid AND seq > $2::bigint"
	"  ORDER BY seq LIMIT $3::int) e",
	3
};

enum err
events_list(PGconn *pg, const char *customer_id, int64_t after, int limit,
    struct json_object **out, const char **errstr)
{
	char afterbuf[24], limbuf[16];
	const char *params[3] = { customer_id, afterbuf, limbuf };
	struct json_object *all, *page, *o, *v;
	PGresult *res = NULL;
	int64_t next = after;
	size_t i, n;
	enum err rc;

	*out = NULL;
	snprintf(afterbuf, sizeof(afterbuf), "%" PRId64, after);
	snprintf(limbuf, sizeof(limbuf), "%d", limit + 1);
	if ((rc = db_run(pg, &events_st_list, params, &res, errstr)) != ERR_OK)
		return rc;
	all = json_tokener_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (all == NULL || !json_object_is_type(all, json_type_array)) {
		json_object_put(all);
		if (errstr != NULL)
			*errstr = "malformed events from the database";
		return ERR_INTERNAL;
	}
	n = json_object_array_length(all);
	page = json_object_new_array();
	for (i = 0; i < n && i < (size_t)limit; i++) {
		v = json_object_array_get_idx(all, i);
		json_object_array_add(page, json_object_get(v));
		if (json_object_object_get_ex(v, "id", &o))
			next = json_object_get_int64(o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "events", page);
	json_object_object_add(o, "nextAfter", json_object_new_int64(next));
	json_object_object_add(o, "hasMore", json_object_new_boolean(n > (size_t)limit));
	json_object_put(all);
	*out = o;
	return ERR_OK;
}
