/* files.c - file listing with cursor pagination, one file's record, deletion. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/handles.h"
#include "engine/db.h"
#include "http/files.h"
#include "http/link.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/querystring.h"
#include "engine/quota.h"
#include "http/resp.h"
#include "store/store.h"
#include "engine/storekey.h"

#define FILES_COLUMNS \
	"id, storage_key, category, subcategory, entity_id, original_name, " \
	"mime_type, file_type, size, sha256, uploaded_by, " \
	"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
	"metadata::text, " \
	"(extract(epoch FROM created_at) * 1000000)::bigint, charged_size"

/* Every query names the customer: invariant 4 lives in these WHERE clauses. */
static const struct db_stmt files_list_stmt = {
	"files_list",
	"SELECT " FILES_COLUMNS " FROM files"
	" WHERE customer_id = $1 AND state = 'stored'"
	"   AND ($2::text IS NULL OR category = $2)"
	"   AND ($3::text IS NULL OR subcategory = $3)"
	"   AND ($4::text IS NULL OR entity_id = $4)"
	"   AND ($5::text IS NULL OR file_type = $5)"
	"   AND ($6::bigint IS NULL OR (created_at, id) <"
	"        ('epoch'::timestamptz + $6::bigint * interval '1 microsecond', $7::uuid))"
	" ORDER BY created_at DESC, id DESC LIMIT $8",
	8,
};

static const struct db_stmt files_get_stmt = {
	"files_get",
	"SELECT " FILES_COLUMNS " FROM files"
	" WHERE customer_id = $1 AND id = $2 AND state = 'stored'",
	2,
};

/* The customer's status rides along (a primary-key lookup in the same
 * round trip): a suspended customer's links stop at once. */
static const struct db_stmt files_link_stmt = {
	"files_link",
	"SELECT f.storage_key, f.mime_type, f.original_name, c.status = 'active'"
	" FROM files f JOIN customers c ON c.customer_id = f.customer_id"
	" WHERE f.customer_id = $1 AND f.id = $2 AND f.state = 'stored'",
	2,
};

static struct json_object *
files_str_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL :
	    json_object_new_string(PQgetvalue(res, row, col));
}

static struct json_object *
files_row_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object(), *meta = NULL;
	char fmt[QUOTA_FMT_LEN];
	int64_t size = strtoll(PQgetvalue(res, row, 8), NULL, 10);

	json_object_object_add(o, "id", files_str_or_null(res, row, 0));
	json_object_object_add(o, "filePath", files_str_or_null(res, row, 1));
	json_object_object_add(o, "category", files_str_or_null(res, row, 2));
	json_object_object_add(o, "subcategory", files_str_or_null(res, row, 3));
	json_object_object_add(o, "entityId", files_str_or_null(res, row, 4));
	json_object_object_add(o, "originalName", files_str_or_null(res, row, 5));
	json_object_object_add(o, "mimeType", files_str_or_null(res, row, 6));
	json_object_object_add(o, "fileType", files_str_or_null(res, row, 7));
	json_object_object_add(o, "size", json_object_new_int64(size));
	/* What the file costs the quota (quota_charge): used sums these. */
	json_object_object_add(o, "chargedSize",
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 14), NULL, 10)));
	json_object_object_add(o, "sizeFormatted",
	    json_object_new_string(quota_format_bytes(size, fmt, sizeof(fmt))));
	json_object_object_add(o, "sha256", files_str_or_null(res, row, 9));
	json_object_object_add(o, "uploadedBy", files_str_or_null(res, row, 10));
	json_object_object_add(o, "createdAt", files_str_or_null(res, row, 11));
	if (!PQgetisnull(res, row, 12))
		meta = json_tokener_parse(PQgetvalue(res, row, 12));
	json_object_object_add(o, "metadata", meta);
	return o;
}

/* The latest creation time a cursor may name, 9999-12-31T23:59:59.999999Z
 * in microseconds since the epoch: later ones overflow PostgreSQL's
 * interval and timestamp arithmetic (a 500 before this check). */
#define FILES_CURSOR_MAX	INT64_C(253402300799999999)

enum err
files_cursor_parse(const char *cursor, char micros[FILES_MICROS_LEN],
    char uuid[FILES_UUID_LEN])
{
	const char *dot;
	int64_t v = 0;
	size_t i, n;

	if ((dot = strchr(cursor, '.')) == NULL)
		return ERR_BADREQ;
	n = (size_t)(dot - cursor);
	if (n == 0 || n >= FILES_MICROS_LEN || !storekey_uuid_ok(dot + 1) ||
	    strlen(dot + 1) >= FILES_UUID_LEN)
		return ERR_BADREQ;
	for (i = 0; i < n; i++) {
		if (cursor[i] < '0' || cursor[i] > '9')
			return ERR_BADREQ;
		/* n < FILES_MICROS_LEN (19) digits cannot overflow int64. */
		v = v * 10 + (cursor[i] - '0');
	}
	if (v > FILES_CURSOR_MAX)
		return ERR_BADREQ;
	memcpy(micros, cursor, n);
	micros[n] = '\0';
	strcpy(uuid, dot + 1);
	return ERR_OK;
}

/* Cursor "MICROS.UUID": the last row's creation time and id. */
static enum err
files_cursor(struct req *r, const char *cursor, char **micros, char **uuid)
{
	char m[FILES_MICROS_LEN], u[FILES_UUID_LEN];

	*micros = *uuid = NULL;
	if (cursor == NULL || cursor[0] == '\0')
		return ERR_OK;
	if (files_cursor_parse(cursor, m, u) != ERR_OK)
		return req_fail(r, ERR_BADREQ, "INVALID_CURSOR", "cursor is not one this API returned");
	*micros = pool_strdup(r->pool, m);
	*uuid = pool_strdup(r->pool, u);
	return ERR_OK;
}

static void
files_clear(void *res)
{
	PQclear(res);
}

enum err
files_list(struct req *r, const struct identity *id)
{
	const char *category, *sub, *entity, *ftype, *cursor, *errstr = NULL;
	const char *params[8];
	char *micros, *uuid, limbuf[24];
	struct json_object *data, *items;
	long long limit;
	PGresult *res;
	PGconn *pg;
	enum err rc;
	int i, n;

	if ((rc = querystring_get(r, "category", &category)) != ERR_OK ||
	    (rc = querystring_get(r, "subcategory", &sub)) != ERR_OK ||
	    (rc = querystring_get(r, "entityId", &entity)) != ERR_OK ||
	    (rc = querystring_get(r, "fileType", &ftype)) != ERR_OK ||
	    (rc = querystring_get(r, "cursor", &cursor)) != ERR_OK ||
	    (rc = querystring_get_int(r, "limit", 1, 200, 50, &limit)) != ERR_OK ||
	    (rc = files_cursor(r, cursor, &micros, &uuid)) != ERR_OK)
		return rc;
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	/* One row more than asked tells whether another page exists. */
	snprintf(limbuf, sizeof(limbuf), "%lld", limit + 1);
	params[0] = id->customer;
	params[1] = category && category[0] ? category : NULL;
	params[2] = sub && sub[0] ? sub : NULL;
	params[3] = entity && entity[0] ? entity : NULL;
	params[4] = ftype && ftype[0] ? ftype : NULL;
	params[5] = micros;
	params[6] = uuid;
	params[7] = limbuf;
	if ((rc = db_run(pg, &files_list_stmt, params, &res, &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_NONE, "listing files", errstr);
	pool_cleanup_add(r->pool, files_clear, res);
	n = PQntuples(res);
	items = json_object_new_array();
	for (i = 0; i < n && i < limit; i++)
		json_object_array_add(items, files_row_json(res, i));
	data = json_object_new_object();
	json_object_object_add(data, "files", items);
	if (n > limit)
		json_object_object_add(data, "nextCursor", json_object_new_string(
		    pool_printf(r->pool, "%s.%s", PQgetvalue(res, (int)limit - 1, 13),
		    PQgetvalue(res, (int)limit - 1, 0))));
	else
		json_object_object_add(data, "nextCursor", NULL);
	resp_ok(r, data);
	return ERR_OK;
}

enum err
files_get(struct req *r, const struct identity *id, const char *file_id)
{
	const char *params[2], *errstr = NULL;
	PGresult *res;
	PGconn *pg;
	enum err rc;

	if (!storekey_uuid_ok(file_id))
		return req_fail(r, ERR_NOTFOUND, "FILE_NOT_FOUND", "File not found");
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	params[0] = id->customer;
	params[1] = file_id;
	if ((rc = db_run(pg, &files_get_stmt, params, &res, &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_NONE, "reading a file", errstr);
	pool_cleanup_add(r->pool, files_clear, res);
	if (PQntuples(res) != 1)
		return req_fail(r, ERR_NOTFOUND, "FILE_NOT_FOUND", "File not found");
	resp_ok(r, files_row_json(res, 0));
	return ERR_OK;
}

enum err
files_link_ref(struct req *r, const char *customer_id, const char *file_id,
    struct link_file *out, const char **errstr)
{
	const char *params[2];
	PGresult *res;
	PGconn *pg;
	enum err rc;

	if (!storekey_uuid_ok(customer_id) || !storekey_uuid_ok(file_id))
		return ERR_NOTFOUND;
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	params[0] = customer_id;
	params[1] = file_id;
	if ((rc = db_run(pg, &files_link_stmt, params, &res, errstr)) != ERR_OK)
		return rc;
	pool_cleanup_add(r->pool, files_clear, res);
	if (PQntuples(res) != 1)
		return ERR_NOTFOUND;
	out->customer_id = pool_strdup(r->pool, customer_id);
	out->file_id = pool_strdup(r->pool, file_id);
	out->storage_key = PQgetvalue(res, 0, 0);
	out->mime_type = PQgetvalue(res, 0, 1);
	out->original_name = PQgetvalue(res, 0, 2);
	out->active = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	return ERR_OK;
}

enum err
files_delete(struct req *r, const struct identity *id, const char *file_id,
    const char *storage_key)
{
	const struct store_backend *store;
	struct quota_deleted del;
	struct json_object *o;
	const char *errstr = NULL;
	void *sh;
	PGconn *pg;
	enum err rc;

	if (file_id != NULL && !storekey_uuid_ok(file_id))
		return req_fail(r, ERR_NOTFOUND, "FILE_NOT_FOUND", "File not found");
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	memset(&del, 0, sizeof(del));
	rc = file_id != NULL ?
	    quota_delete(pg, id->customer, file_id, id->user, &del, &errstr) :
	    quota_delete_key(pg, id->customer, storage_key, id->user, &del, &errstr);
	if (rc != ERR_OK)
		return req_fail_engine(r, rc, REQ_FILE, "deleting a file", errstr);
	/* The row is deleted and the usage released: the request has
	 * succeeded.  The object follows now, or via the reconciler. */
	if (handles_store(&store, &sh, &errstr) == ERR_OK &&
	    store->del(sh, del.storage_key, &errstr) == ERR_OK)
		quota_object_removed(pg, id->customer, del.file_id, &errstr);
	else
		log_warnx("removing %s failed (%s); the reconciler will retry",
		    del.storage_key, errstr ? errstr : "?");
	free(del.storage_key);
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string("File deleted successfully"));
	resp_json(r, 200, o, NULL);
	return ERR_OK;
}
