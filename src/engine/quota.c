/* quota.c - the atomic quota engine: each step one statement, one round trip. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"
#include "engine/db.h"
#include "base/log.h"
#include "engine/quota.h"
#include "engine/quota_sql.h"
#include "base/xmalloc.h"

/*
 * Why these are single statements: data-modifying CTEs run in one
 * statement, hence one transaction and one round trip, and an error
 * anywhere rolls back every part.  Lock order is always files row, then
 * customers row, then storage_usage row (reserve takes only the customer
 * row before inserting its new file row; recalculation takes the customer
 * row, then usage rows): the breakdown CTEs read from the customers CTE so
 * the executor cannot touch storage_usage before it holds the customer row.
 *
 * Counters are decremented with greatest(..., 0): a counter that drifted
 * low (it never should) must not make a delete or a release fail its CHECK
 * and strand the file; recalculation repairs and reports the drift.
 */

/* The quota, and the reason a reservation was refused. */
static const struct db_stmt quota_st_get = {
	"quota_get",
	"SELECT c.storage_used, c.storage_reserved, coffer_effective_limit(c, p.storage_limit),"
	" c.plan, c.status, p.max_file_size, c.file_count, p.max_files"
	" FROM customers c JOIN plans p ON p.name = c.plan"
	" WHERE c.customer_id = $1::uuid",
	1
};

static const struct db_stmt quota_st_commit = {
	"quota_commit",
	"WITH f AS ("
	" UPDATE files SET state = 'stored', stored_at = now()"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND state = 'pending'"
	" RETURNING customer_id, id, storage_key, size, charged_size, file_type, category,"
	"  subcategory,"
	"  original_name, mime_type, uploaded_by),"
	" c AS ("
	" UPDATE customers c SET storage_reserved = greatest(c.storage_reserved - f.charged_size, 0),"
	"  storage_used = c.storage_used + f.charged_size"
	" FROM f WHERE c.customer_id = f.customer_id"
	" RETURNING c.customer_id, c.storage_used AS used,"
	"  coffer_effective_limit(c, " QUOTA_PLAN("storage_limit") ") AS lim),"
	QUOTA_SQL_STORED("coalesce($3, f.uploaded_by)")
	" SELECT f.size, (SELECT count(*) FROM u), (SELECT count(*) FROM a), "
	QUOTA_SQL_NOTES " FROM f",
	3
};

/* Tells a late commit whether the reconciler already stored the file. */
static const struct db_stmt quota_st_state = {
	"quota_state",
	"SELECT state FROM files WHERE customer_id = $1::uuid AND id = $2::uuid",
	2
};

static const struct db_stmt quota_st_release = {
	"quota_release",
	"WITH f AS ("
	" DELETE FROM files"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND state = 'pending'"
	" RETURNING customer_id, id, storage_key, size, charged_size),"
	" c AS ("
	" UPDATE customers c SET storage_reserved = greatest(c.storage_reserved - f.charged_size, 0),"
	"  file_count = greatest(c.file_count - 1, 0)"
	" FROM f WHERE c.customer_id = f.customer_id RETURNING c.customer_id),"
	" a AS ("
	" INSERT INTO audit_log (customer_id, action, actor, file_id, storage_key, size)"
	" SELECT f.customer_id, 'release', $3, f.id, f.storage_key, f.size"
	" FROM f JOIN c USING (customer_id) RETURNING 1)"
	" SELECT f.size, (SELECT count(*) FROM a) FROM f",
	3
};

/* Delete by id or by key: the same statement around a different match. */
#define QUOTA_DELETE_SQL(match)						\
	"WITH f AS ("							\
	" UPDATE files SET state = 'deleted', deleted_at = now(), deleted_by = $3" \
	" WHERE customer_id = $1::uuid AND " match " AND state = 'stored'" \
	" RETURNING customer_id, id, storage_key, size, charged_size, file_type, category," \
	"  subcategory)," \
	" c AS ("							\
	" UPDATE customers c SET storage_used = greatest(c.storage_used - f.charged_size, 0)," \
	"  file_count = greatest(c.file_count - 1, 0)"			\
	" FROM f WHERE c.customer_id = f.customer_id"			\
	" RETURNING c.customer_id, c.storage_used AS used,"		\
	"  coffer_effective_limit(c, " QUOTA_PLAN("storage_limit") ") AS lim)," \
	" u AS ("							\
	" UPDATE storage_usage s SET file_count = greatest(s.file_count - 1, 0)," \
	"  total_size = greatest(s.total_size - f.charged_size, 0), last_updated = now()" \
	" FROM f JOIN c USING (customer_id)"				\
	" WHERE s.customer_id = f.customer_id AND s.file_type = f.file_type" \
	"  AND s.category = f.category AND s.subcategory = " QUOTA_SUBCATEGORY \
	" RETURNING 1),"						\
	" a AS ("							\
	" INSERT INTO audit_log (customer_id, action, actor, file_id, storage_key, size, detail)" \
	" SELECT f.customer_id, 'delete', $3, f.id, f.storage_key, f.size," \
	"  jsonb_build_object('fileType', f.file_type, 'category', f.category)" \
	" FROM f JOIN c USING (customer_id) RETURNING 1),"		\
	" e AS ("							\
	" INSERT INTO storage_events (customer_id, type, file_id, storage_key, size, used," \
	"  quota_limit, actor, announce_after_commit)"			\
	" SELECT f.customer_id, 'file.deleted', f.id, f.storage_key, f.size, c.used, c.lim, $3," \
	"  true FROM f JOIN c USING (customer_id)"			\
	QUOTA_SQL_EVENT_NOTE ")"					\
	" SELECT f.id, f.storage_key, f.size, (SELECT count(*) FROM u), (SELECT count(*) FROM a)," \
	" " QUOTA_SQL_NOTES " FROM f"

static const struct db_stmt quota_st_delete_id = {
	"quota_delete_id", QUOTA_DELETE_SQL("id = $2::uuid"), 3
};

static const struct db_stmt quota_st_delete_key = {
	"quota_delete_key", QUOTA_DELETE_SQL("storage_key = $2"), 3
};

static const struct db_stmt quota_st_announce = {
	"quota_announce",
	"SELECT coffer_announce($1::text[])",
	1
};

static const struct db_stmt quota_st_object_removed = {
	"quota_object_removed",
	"UPDATE files SET object_removed_at = now()"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND state = 'deleted'"
	" AND object_removed_at IS NULL",
	2
};

static const struct db_stmt quota_st_stats = {
	"quota_stats",
	"SELECT c.storage_used, c.storage_reserved, coffer_effective_limit(c, p.storage_limit),"
	" c.plan, c.status, p.max_file_size, c.file_count, p.max_files,"
	" (SELECT coalesce(json_agg(json_build_object('fileType', s.file_type,"
	"   'category', coalesce(nullif(s.subcategory, ''), s.category),"
	"   'parentCategory', s.category,"
	"   'fileCount', s.file_count, 'totalSize', s.total_size)"
	"   ORDER BY s.total_size DESC, s.file_type, s.category, s.subcategory), '[]')"
	"  FROM storage_usage s WHERE s.customer_id = c.customer_id AND s.file_count > 0),"
	" (SELECT coalesce(json_agg(r), '[]') FROM ("
	"   SELECT f.id AS \"fileId\", f.original_name AS \"fileName\","
	"    f.storage_key AS \"filePath\", f.size AS \"fileSize\","
	"    f.charged_size AS \"chargedSize\", f.file_type AS \"fileType\","
	"    f.category, f.subcategory, f.mime_type AS \"mimeType\","
	"    to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
	"     AS \"uploadedAt\","
	"    coalesce(f.uploaded_by, 'Unknown') AS \"uploadedBy\""
	"   FROM files f WHERE f.customer_id = c.customer_id AND f.state = 'stored'"
	"   ORDER BY f.created_at DESC, f.id DESC LIMIT 10) r)"
	" FROM customers c JOIN plans p ON p.name = c.plan"
	" WHERE c.customer_id = $1::uuid",
	1
};

static const struct db_stmt quota_st_recalculate = {
	"quota_recalculate",
	"SELECT coffer_recalculate($1::uuid, $2)::text",
	2
};

static const struct db_stmt quota_st_customers = {
	"quota_customers",
	"SELECT customer_id FROM customers ORDER BY customer_id",
	0
};

/* Keyset paging on (created_at, id): rows judged "cannot tell" stay
 * pending but never hold up the rows behind them. */
static const struct db_stmt quota_st_pending = {
	"quota_pending",
	"SELECT customer_id, id, storage_key, size, created_at FROM files"
	" WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1::bigint)"
	" AND (created_at, id) > ($3::timestamptz, $4::uuid)"
	" AND ($5::uuid IS NULL OR customer_id = $5::uuid)"
	" ORDER BY created_at, id LIMIT $2::int FOR UPDATE SKIP LOCKED",
	5
};

static int64_t
quota_int64(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Fill q from a quota_st_get-shaped row starting at column 0. */
static void
quota_info_fill(struct quota_info *q, const PGresult *res)
{
	memset(q, 0, sizeof(*q));
	q->used = quota_int64(res, 0, 0);
	q->reserved = quota_int64(res, 0, 1);
	q->unlimited = PQgetisnull(res, 0, 2);
	q->limit = q->unlimited ? 0 : quota_int64(res, 0, 2);
	snprintf(q->plan, sizeof(q->plan), "%s", PQgetvalue(res, 0, 3));
	snprintf(q->status, sizeof(q->status), "%s", PQgetvalue(res, 0, 4));
	q->max_file_size = quota_int64(res, 0, 5);
	q->files = quota_int64(res, 0, 6);
	q->max_files = PQgetisnull(res, 0, 7) ? 0 : quota_int64(res, 0, 7);
	if (q->unlimited) {
		q->available = 0;
		q->percentage = 0;	/* not NaN, not used / INT64_MAX */
		return;
	}
	q->available = q->limit - q->used - q->reserved;
	if (q->available < 0)
		q->available = 0;	/* a plan lowered below usage */
	if (q->limit > 0)
		q->percentage = round((double)q->used / (double)q->limit * 10000.0) / 100.0;
	else
		q->percentage = q->used > 0 ? 100.0 : 0.0;
}

int64_t
quota_charge(int64_t size, size_t metadata_len, int64_t block)
{
	int64_t rounded;

	if (size < 0)
		size = 0;
	if (block < 1)
		block = 1;
	if (size > INT64_MAX - (block - 1))
		return INT64_MAX;
	rounded = (size + block - 1) / block * block;
	if ((uint64_t)metadata_len > (uint64_t)(INT64_MAX - rounded))
		return INT64_MAX;
	return rounded + (int64_t)metadata_len;
}

enum err
quota_refused(PGconn *pg, const char *customer_id, int64_t size, int64_t charged,
    struct quota_refusal *why, const char **errstr)
{
	struct quota_info q;
	enum err rc;

	/* The state may have moved on since the refusal: it stands, the
	 * numbers are today's. */
	if ((rc = quota_get(pg, customer_id, &q, errstr)) != ERR_OK)
		return rc;
	if (why != NULL) {
		why->used = q.used;
		why->reserved = q.reserved;
		why->limit = q.limit;
		why->unlimited = q.unlimited;
		why->needed = charged;
		why->max_file_size = q.max_file_size;
		why->files = q.files;
		why->max_files = q.max_files;
	}
	if (strcmp(q.status, "active") != 0) {
		if (errstr != NULL)
			*errstr = "the customer account is suspended";
		return ERR_FORBIDDEN;
	}
	if (size > q.max_file_size) {
		if (errstr != NULL)
			*errstr = "the file is larger than the plan allows";
		return ERR_TOOBIG;
	}
	if (q.max_files > 0 && q.files + 1 > q.max_files) {
		if (why != NULL)
			why->too_many_files = true;
		if (errstr != NULL)
			*errstr = "the plan's number of files is reached";
		return ERR_QUOTA;
	}
	if (errstr != NULL)
		*errstr = "storage quota exceeded";
	return ERR_QUOTA;
}

const char *
quota_notes(const PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQnfields(res) <= col || PQgetisnull(res, 0, col))
		return NULL;
	return PQgetvalue(res, 0, col);
}

void
quota_announce(PGconn *pg, const char *notes)
{
	const char *params[1] = { notes }, *errstr = NULL;
	PGresult *done = NULL;

	if (notes == NULL)
		return;
	if (db_run(pg, &quota_st_announce, params, &done, &errstr) != ERR_OK) {
		log_warnx("announcing events: %s", errstr != NULL ? errstr : "?");
		return;
	}
	PQclear(done);
}

enum err
quota_commit(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, const char **errstr)
{
	const char *params[3] = { customer_id, file_id, actor };
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, &quota_st_commit, params, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) == 1) {
		quota_announce(pg, quota_notes(res, 3));
		PQclear(res);
		return ERR_OK;
	}
	PQclear(res);
	/* Not pending: a reconciler that found the object complete stored it
	 * already (fine), or it was released or never existed. */
	if ((rc = db_run(pg, &quota_st_state, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "stored") == 0 ?
	    ERR_OK : ERR_NOTFOUND;
	PQclear(res);
	if (rc == ERR_NOTFOUND && errstr != NULL)
		*errstr = "no pending upload with this id";
	return rc;
}

enum err
quota_release(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, const char **errstr)
{
	const char *params[3] = { customer_id, file_id, actor };
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, &quota_st_release, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = PQntuples(res) == 1 ? ERR_OK : ERR_NOTFOUND;
	PQclear(res);
	if (rc == ERR_NOTFOUND && errstr != NULL)
		*errstr = "no pending upload with this id";
	return rc;
}

static enum err
quota_delete_by(PGconn *pg, const struct db_stmt *st, const char *customer_id,
    const char *what, const char *actor, struct quota_deleted *out, const char **errstr)
{
	const char *params[3] = { customer_id, what, actor };
	PGresult *res = NULL;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_run(pg, st, params, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		if (errstr != NULL)
			*errstr = "file not found";
		return ERR_NOTFOUND;
	}
	snprintf(out->file_id, sizeof(out->file_id), "%s", PQgetvalue(res, 0, 0));
	out->storage_key = xstrdup(PQgetvalue(res, 0, 1));
	out->size = quota_int64(res, 0, 2);
	quota_announce(pg, quota_notes(res, 5));
	PQclear(res);
	return ERR_OK;
}

enum err
quota_delete(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, struct quota_deleted *out, const char **errstr)
{
	return quota_delete_by(pg, &quota_st_delete_id, customer_id, file_id, actor, out,
	    errstr);
}

enum err
quota_delete_key(PGconn *pg, const char *customer_id, const char *storage_key,
    const char *actor, struct quota_deleted *out, const char **errstr)
{
	return quota_delete_by(pg, &quota_st_delete_key, customer_id, storage_key, actor,
	    out, errstr);
}

enum err
quota_object_removed(PGconn *pg, const char *customer_id, const char *file_id,
    const char **errstr)
{
	const char *params[2] = { customer_id, file_id };
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, &quota_st_object_removed, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? ERR_OK : ERR_NOTFOUND;
	PQclear(res);
	if (rc == ERR_NOTFOUND && errstr != NULL)
		*errstr = "no deleted file awaiting object removal with this id";
	return rc;
}

enum err
quota_get(PGconn *pg, const char *customer_id, struct quota_info *q, const char **errstr)
{
	const char *params[1] = { customer_id };
	PGresult *res = NULL;
	enum err rc;

	memset(q, 0, sizeof(*q));
	if ((rc = db_run(pg, &quota_st_get, params, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		if (errstr != NULL)
			*errstr = "customer not found";
		return ERR_NOTFOUND;
	}
	quota_info_fill(q, res);
	PQclear(res);
	return ERR_OK;
}

struct json_object *
quota_info_json(const struct quota_info *q)
{
	struct json_object *o = json_object_new_object();
	char buf[QUOTA_FMT_LEN];
	bool active = strcmp(q->status, "active") == 0;

	json_object_object_add(o, "used", json_object_new_int64(q->used));
	json_object_object_add(o, "limit",
	    q->unlimited ? NULL : json_object_new_int64(q->limit));
	json_object_object_add(o, "available",
	    q->unlimited ? NULL : json_object_new_int64(q->available));
	json_object_object_add(o, "percentage", json_object_new_double(q->percentage));
	json_object_object_add(o, "reserved", json_object_new_int64(q->reserved));
	json_object_object_add(o, "unlimited", json_object_new_boolean(q->unlimited));
	json_object_object_add(o, "canUpload",
	    json_object_new_boolean(active && (q->unlimited || q->available > 0) &&
	    (q->max_files == 0 || q->files < q->max_files)));
	json_object_object_add(o, "usedFormatted",
	    json_object_new_string(quota_format_bytes(q->used, buf, sizeof(buf))));
	json_object_object_add(o, "limitFormatted", json_object_new_string(q->unlimited ?
	    "Unlimited" : quota_format_bytes(q->limit, buf, sizeof(buf))));
	json_object_object_add(o, "availableFormatted", json_object_new_string(q->unlimited ?
	    "Unlimited" : quota_format_bytes(q->available, buf, sizeof(buf))));
	json_object_object_add(o, "reservedFormatted",
	    json_object_new_string(quota_format_bytes(q->reserved, buf, sizeof(buf))));
	json_object_object_add(o, "maxFileSize", json_object_new_int64(q->max_file_size));
	/* Files (stored and in flight) against the plan's count; null: none. */
	json_object_object_add(o, "fileCount", json_object_new_int64(q->files));
	json_object_object_add(o, "maxFiles",
	    q->max_files == 0 ? NULL : json_object_new_int64(q->max_files));
	json_object_object_add(o, "plan", json_object_new_string(q->plan));
	json_object_object_add(o, "status", json_object_new_string(q->status));
	return o;
}

/* Parse a JSON array the database built; NULL if it is not one. */
static struct json_object *
quota_json_array(const char *text)
{
	struct json_object *a = json_tokener_parse(text);

	if (a != NULL && !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		a = NULL;
	}
	return a;
}

enum err
quota_stats(PGconn *pg, const char *customer_id, struct json_object **out,
    const char **errstr)
{
	const char *params[1] = { customer_id };
	struct json_object *o = NULL, *breakdown = NULL, *recent = NULL, *it, *v;
	char buf[QUOTA_FMT_LEN];
	struct quota_info q;
	PGresult *res = NULL;
	enum err rc;
	size_t i;
	int64_t n;

	*out = NULL;
	if ((rc = db_run(pg, &quota_st_stats, params, &res, errstr)) != ERR_OK)
		goto fail;
	if (PQntuples(res) != 1) {
		rc = ERR_NOTFOUND;
		if (errstr != NULL)
			*errstr = "customer not found";
		goto fail;
	}
	quota_info_fill(&q, res);
	if ((breakdown = quota_json_array(PQgetvalue(res, 0, 8))) == NULL ||
	    (recent = quota_json_array(PQgetvalue(res, 0, 9))) == NULL) {
		rc = ERR_INTERNAL;
		if (errstr != NULL)
			*errstr = "malformed statistics from the database";
		goto fail;
	}
	for (i = 0; i < json_object_array_length(breakdown); i++) {
		it = json_object_array_get_idx(breakdown, i);
		n = json_object_object_get_ex(it, "totalSize", &v) ? json_object_get_int64(v) : 0;
		json_object_object_add(it, "totalSizeFormatted",
		    json_object_new_string(quota_format_bytes(n, buf, sizeof(buf))));
		/* Of what is used, as the seed meant; 0 rather than NaN. */
		json_object_object_add(it, "percentage", json_object_new_double(q.used > 0 ?
		    round((double)n / (double)q.used * 10000.0) / 100.0 : 0.0));
	}
	for (i = 0; i < json_object_array_length(recent); i++) {
		it = json_object_array_get_idx(recent, i);
		n = json_object_object_get_ex(it, "fileSize", &v) ? json_object_get_int64(v) : 0;
		json_object_object_add(it, "fileSizeFormatted",
		    json_object_new_string(quota_format_bytes(n, buf, sizeof(buf))));
	}
	o = json_object_new_object();
	json_object_object_add(o, "quota", quota_info_json(&q));
	json_object_object_add(o, "breakdown", breakdown);
	json_object_object_add(o, "recentUploads", recent);
	*out = o;
	PQclear(res);
	return ERR_OK;
fail:
	json_object_put(breakdown);
	json_object_put(recent);
	PQclear(res);
	return rc;
}

static int64_t
quota_json_get(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *a, *b;

	if (!json_object_object_get_ex(o, k1, &a) || !json_object_object_get_ex(a, k2, &b))
		return 0;
	return json_object_get_int64(b);
}

enum err
quota_recalculate(PGconn *pg, const char *customer_id, const char *actor,
    struct quota_drift *d, const char **errstr)
{
	const char *params[2] = { customer_id, actor };
	struct json_object *rows;
	PGresult *res = NULL;
	enum err rc;

	memset(d, 0, sizeof(*d));
	if ((rc = db_run(pg, &quota_st_recalculate, params, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		if (errstr != NULL)
			*errstr = "customer not found";
		return ERR_NOTFOUND;
	}
	d->detail = json_tokener_parse(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (d->detail == NULL) {
		if (errstr != NULL)
			*errstr = "malformed recalculation report from the database";
		return ERR_INTERNAL;
	}
	d->used_before = quota_json_get(d->detail, "used", "before");
	d->used_after = quota_json_get(d->detail, "used", "after");
	d->reserved_before = quota_json_get(d->detail, "reserved", "before");
	d->reserved_after = quota_json_get(d->detail, "reserved", "after");
	if (json_object_object_get_ex(d->detail, "breakdown", &rows))
		d->rows_changed = (int)json_object_array_length(rows);
	return ERR_OK;
}

enum err
quota_recalculate_all(PGconn *pg, const char *actor, quota_recalc_cb cb, void *arg,
    const char **errstr)
{
	struct quota_drift d;
	const char *why;
	PGresult *res = NULL;
	enum err rc, first = ERR_OK;
	int i;

	/* The one cross-tenant query: listing who to recalculate, each then
	 * in its own transaction so a long run never holds many locks. */
	if ((rc = db_run(pg, &quota_st_customers, NULL, &res, errstr)) != ERR_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		why = NULL;
		rc = quota_recalculate(pg, PQgetvalue(res, i, 0), actor, &d, &why);
		if (rc != ERR_OK && first == ERR_OK) {
			first = rc;
			if (errstr != NULL)
				*errstr = "recalculation failed for at least one customer";
		}
		if (cb != NULL && cb(arg, PQgetvalue(res, i, 0), rc, &d, why) != 0) {
			json_object_put(d.detail);
			break;
		}
		json_object_put(d.detail);
		if (rc == ERR_DB)
			break;		/* the connection is gone: stop, say so */
	}
	PQclear(res);
	return first;
}

/* One batch in one transaction; *n gets the number of rows seen and
 * after_at/after_id move past the last of them.  settled hears about each
 * row acted on once the batch has committed, never before. */
static void
quota_free_notes(char **notes, int n)
{
	int i;

	for (i = 0; notes != NULL && i < n; i++)
		free(notes[i]);
	free(notes);
}

static enum err
quota_settle_batch(PGconn *pg, const char *const params[5], quota_exists_fn exists,
    quota_settled_fn settled, void *arg, const char *actor, struct quota_settled *got,
    int *n, char after_at[64], char after_id[QUOTA_ID_LEN], const char **errstr)
{
	PGresult *res = NULL, *r2 = NULL;
	struct quota_pending p;
	signed char *done = NULL;	/* per row: 0 untouched, 1 committed, 2 released */
	char **notes = NULL;		/* per row: what a commit has to announce */
	enum err rc;
	int i, verdict;

	*n = 0;
	if ((rc = db_cmd(pg, "BEGIN", errstr)) != ERR_OK)
		return rc;
	/* Rows another reconciler holds are skipped, not waited for; a worker
	 * committing late waits for us and then finds the row settled. */
	if ((rc = db_run(pg, &quota_st_pending, params, &res, errstr)) != ERR_OK)
		goto fail;
	done = xcalloc((size_t)PQntuples(res) + 1, 1);
	notes = xcalloc((size_t)PQntuples(res) + 1, sizeof(*notes));
	for (i = 0; i < PQntuples(res); i++) {
		const char *p3[3] = { PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), actor };

		p.customer_id = p3[0];
		p.file_id = p3[1];
		p.storage_key = PQgetvalue(res, i, 2);
		p.size = quota_int64(res, i, 3);
		verdict = exists(arg, &p);
		if (verdict < 0) {
			got->skipped++;
			continue;
		}
		rc = db_run(pg, verdict ? &quota_st_commit : &quota_st_release, p3, &r2, errstr);
		if (rc != ERR_OK)
			goto fail;
		if (PQntuples(r2) == 1) {
			done[i] = verdict ? 1 : 2;
			if (verdict && quota_notes(r2, 3) != NULL)
				notes[i] = xstrdup(quota_notes(r2, 3));
			if (verdict)
				got->committed++;
			else
				got->released++;
		}
		PQclear(r2);
		r2 = NULL;
	}
	if ((*n = PQntuples(res)) > 0) {
		snprintf(after_at, 64, "%s", PQgetvalue(res, *n - 1, 4));
		snprintf(after_id, QUOTA_ID_LEN, "%s", PQgetvalue(res, *n - 1, 1));
	}
	if ((rc = db_cmd(pg, "COMMIT", errstr)) != ERR_OK)
		goto fail;
	for (i = 0; i < *n; i++)
		quota_announce(pg, notes[i]);
	for (i = 0; settled != NULL && i < *n; i++) {
		if (done[i] == 0)
			continue;
		p.customer_id = PQgetvalue(res, i, 0);
		p.file_id = PQgetvalue(res, i, 1);
		p.storage_key = PQgetvalue(res, i, 2);
		p.size = quota_int64(res, i, 3);
		settled(arg, &p, done[i] == 1);
	}
	PQclear(res);
	quota_free_notes(notes, *n);
	free(done);
	return ERR_OK;
fail:
	quota_free_notes(notes, PQntuples(res));
	PQclear(res);
	free(done);
	(void)db_cmd(pg, "ROLLBACK", NULL);
	return rc;
}

enum err
quota_settle_pending(PGconn *pg, const char *customer_id, int64_t older_than_s, int max,
    quota_exists_fn exists, quota_settled_fn settled, void *arg, const char *actor,
    struct quota_settled *out, const char **errstr)
{
	char age[24], lim[16], after_at[64] = "-infinity";
	char after_id[QUOTA_ID_LEN] = "00000000-0000-0000-0000-000000000000";
	const char *params[5] = { age, lim, after_at, after_id, customer_id };
	struct quota_settled batch;
	enum err rc;
	int n;

	memset(out, 0, sizeof(*out));
	if (max < 1)
		max = 1;
	snprintf(age, sizeof(age), "%" PRId64, older_than_s);
	snprintf(lim, sizeof(lim), "%d", max);
	do {
		memset(&batch, 0, sizeof(batch));
		rc = quota_settle_batch(pg, params, exists, settled, arg, actor, &batch, &n,
		    after_at, after_id, errstr);
		if (rc != ERR_OK)
			return rc;
		out->committed += batch.committed;
		out->released += batch.released;
		out->skipped += batch.skipped;
	} while (n == max);
	return ERR_OK;
}

int
quota_parse_limit(const char *s, bool allow_plan, struct quota_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (strcasecmp(s, "unlimited") == 0) {
		out->kind = QUOTA_LIMIT_UNLIMITED;
		return 0;
	}
	if (allow_plan && strcasecmp(s, "plan") == 0) {
		out->kind = QUOTA_LIMIT_PLAN;
		return 0;
	}
	out->kind = QUOTA_LIMIT_BYTES;
	return conf_parse_size(s, &out->bytes);
}

char *
quota_format_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "Bytes", "KiB", "MiB", "GiB", "TiB" };
	uint64_t b = bytes > 0 ? (uint64_t)bytes : 0, d = 1, n, whole, frac;
	int i = 0;

	if (b == 0) {
		snprintf(buf, len, "0 Bytes");
		return buf;
	}
	/* i = floor(log_1024(b)), in integers: no log() rounding at 1024^k. */
	while (i < 4 && b >= d * 1024) {
		d *= 1024;
		i++;
	}
	/* b / d is exact in binary, as in JavaScript for any b < 2^53; round
	 * to hundredths with ties up, as toFixed(2) does, without overflow. */
	n = b / d * 100 + ((b % d) * 100 + d / 2) / d;
	whole = n / 100;
	frac = n % 100;
	if (frac == 0)
		snprintf(buf, len, "%" PRIu64 " %s", whole, units[i]);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", whole, frac / 10, units[i]);
	else
		snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %s", whole, frac, units[i]);
	return buf;
}
