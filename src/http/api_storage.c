/* api_storage.c - quota, stats, uploads, delete by path, recalculation, taxonomy. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http/api_storage.h"
#include "engine/handles.h"
#include "http/body.h"
#include "engine/db.h"
#include "http/files.h"
#include "engine/identity.h"
#include "base/log.h"
#include "engine/multipart.h"
#include "base/pool.h"
#include "http/querystring.h"
#include "engine/quota.h"
#include "http/resp.h"
#include "engine/storekey.h"
#include "http/upload.h"

#define DELETE_BODY_MAX	(16 * 1024)

enum err
api_storage_quota(struct req *r, const struct identity *id)
{
	struct quota_info q;
	const char *errstr = NULL;
	PGconn *pg;
	enum err rc;

	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	if ((rc = quota_get(pg, id->customer, &q, &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_CUSTOMER, "reading the quota", errstr);
	resp_ok(r, quota_info_json(&q));
	return ERR_OK;
}

enum err
api_storage_stats(struct req *r, const struct identity *id)
{
	struct json_object *o = NULL;
	const char *errstr = NULL;
	PGconn *pg;
	enum err rc;

	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	if ((rc = quota_stats(pg, id->customer, &o, &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_CUSTOMER, "reading the stats", errstr);
	resp_ok(r, o);
	return ERR_OK;
}

/* A multipart field as a C string in the pool, or NULL if absent. */
static const char *
api_storage_field(struct req *r, const struct multipart_result *mp, const char *name,
    enum err *rc)
{
	const struct multipart_field *f = multipart_field_get(mp, name);

	*rc = ERR_OK;
	if (f == NULL)
		return NULL;
	if (f->has_nul) {
		*rc = req_fail(r, ERR_BADREQ, "INVALID_FIELD", "Field %s contains a NUL byte", name);
		return NULL;
	}
	return f->value;
}

enum err
api_storage_upload(struct req *r, const struct identity *id)
{
	struct multipart_limits lim;
	struct multipart_result mp;
	const struct multipart_field *meta;
	struct upload_src src;
	struct json_object *out;
	const char *ctype, *errstr = NULL;
	struct body b;
	enum mp_err mrc;
	enum err rc;

	if ((rc = body_get(r, &b)) != ERR_OK)
		return rc;
	ctype = req_param(r, "CONTENT_TYPE");
	if (b.len == 0)
		return req_fail(r, ERR_BADREQ, "NO_FILE", "No file provided");
	multipart_limits_default(&lim);
	/* Too large for the plan: refused before parsing, sniffing, hashing. */
	if ((rc = upload_check_size(r, b.len, multipart_overhead_max(&lim))) != ERR_OK)
		return rc;
	if (b.mem != NULL)
		mrc = multipart_parse_mem(b.mem, (size_t)b.len, ctype ? ctype : "", &lim,
		    r->pool, &mp, &errstr);
	else
		mrc = multipart_parse_fd(b.fd, b.len, ctype ? ctype : "", &lim, r->pool, &mp,
		    &errstr);
	if (mrc != MP_OK)
		return req_fail(r, multipart_err(mrc), multipart_code(mrc), "%s",
		    errstr ? errstr : multipart_strerror(mrc));
	if (!mp.has_file)
		return req_fail(r, ERR_BADREQ, "NO_FILE", "No file provided");

	memset(&src, 0, sizeof(src));
	src.fd = b.fd;
	src.mem = b.mem;
	src.offset = mp.file.offset;
	src.length = mp.file.length;
	src.original_name = mp.file.filename;
	/* The seed defaults the category to "documents". */
	src.category = api_storage_field(r, &mp, "category", &rc);
	if (rc == ERR_OK)
		src.subcategory = api_storage_field(r, &mp, "subcategory", &rc);
	if (rc == ERR_OK)
		src.entity_id = api_storage_field(r, &mp, "entityId", &rc);
	if (rc != ERR_OK)
		return rc;
	if (src.category == NULL || src.category[0] == '\0')
		src.category = "documents";
	if ((meta = multipart_field_get(&mp, "metadata")) != NULL) {
		src.metadata = meta->value;
		src.metadata_len = meta->len;
	}
	if ((rc = upload_run(r, id, &src, &out)) != ERR_OK)
		return rc;
	resp_ok(r, out);
	return ERR_OK;
}

enum err
api_storage_put(struct req *r, const struct identity *id)
{
	struct upload_src src;
	struct json_object *out;
	struct body b;
	enum err rc;

	if ((rc = body_get(r, &b)) != ERR_OK ||
	    (rc = upload_check_size(r, b.len, 0)) != ERR_OK)
		return rc;
	memset(&src, 0, sizeof(src));
	src.fd = b.fd;
	src.mem = b.mem;
	src.length = b.len;
	src.whole_file = 1;
	if ((rc = querystring_get(r, "category", &src.category)) != ERR_OK ||
	    (rc = querystring_get(r, "subcategory", &src.subcategory)) != ERR_OK ||
	    (rc = querystring_get(r, "entityId", &src.entity_id)) != ERR_OK ||
	    (rc = querystring_get(r, "name", &src.original_name)) != ERR_OK)
		return rc;
	if (src.category == NULL || src.category[0] == '\0')
		return req_fail(r, ERR_BADREQ, "INVALID_CATEGORY", "category is required");
	if (b.len == 0)
		return req_fail(r, ERR_BADREQ, "EMPTY_FILE", "The file is empty");
	if ((rc = upload_run(r, id, &src, &out)) != ERR_OK)
		return rc;
	resp_ok(r, out);
	return ERR_OK;
}

enum err
api_storage_delete_path(struct req *r, const struct identity *id)
{
	struct json_object *o, *fp;
	struct storekey key;
	const char *path, *code = NULL, *errstr = NULL;
	char *body;
	size_t len;
	enum err rc;

	if ((rc = body_read_small(r, DELETE_BODY_MAX, &body, &len)) != ERR_OK)
		return rc;
	o = json_tokener_parse(body);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "filePath", &fp) ||
	    !json_object_is_type(fp, json_type_string)) {
		json_object_put(o);
		return req_fail(r, ERR_BADREQ, "FILE_PATH_REQUIRED",
		    "The body must be JSON with a filePath string");
	}
	path = pool_strdup(r->pool, json_object_get_string(fp));
	json_object_put(o);
	/* Another customer's key, or no key at all, is simply not found:
	 * whether it exists elsewhere is nobody's business. */
	if ((rc = storekey_parse(handles_taxonomy(), path, strlen(path), id->customer, &key,
	    &code, &errstr)) == ERR_DB)
		return req_fail(r, rc, code, "%s", errstr);
	if (rc != ERR_OK)
		return req_fail(r, ERR_NOTFOUND, "FILE_NOT_FOUND", "File not found");
	return files_delete(r, id, NULL, path);
}

enum err
api_storage_recalculate(struct req *r, const struct identity *id)
{
	struct quota_drift drift;
	const char *errstr = NULL;
	struct json_object *o;
	char fmt[QUOTA_FMT_LEN];
	PGconn *pg;
	enum err rc;

	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	memset(&drift, 0, sizeof(drift));
	if ((rc = quota_recalculate(pg, id->customer, id->user, &drift, &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_CUSTOMER, "recalculating", errstr);
	o = json_object_new_object();
	/* The seed's shape first, then what the drift was. */
	json_object_object_add(o, "totalSize", json_object_new_int64(drift.used_after));
	json_object_object_add(o, "totalSizeFormatted", json_object_new_string(
	    quota_format_bytes(drift.used_after, fmt, sizeof(fmt))));
	json_object_object_add(o, "usedBefore", json_object_new_int64(drift.used_before));
	json_object_object_add(o, "usedAfter", json_object_new_int64(drift.used_after));
	json_object_object_add(o, "drift", json_object_new_int64(drift.used_before - drift.used_after));
	json_object_object_add(o, "breakdownRowsChanged", json_object_new_int(drift.rows_changed));
	if (drift.detail != NULL)
		json_object_object_add(o, "detail", drift.detail);
	resp_ok(r, o);
	return ERR_OK;
}

enum err
api_storage_taxonomy(struct req *r, const struct identity *id)
{
	const struct storekey_taxonomy *tax;

	(void)id;	/* one taxonomy for every customer */
	/* The operator's categories (cofferctl category), as this worker
	 * holds them: at most [storage] category_ttl old. */
	if ((tax = handles_taxonomy()) == NULL)
		return req_fail(r, ERR_DB, "DATABASE_UNAVAILABLE",
		    "The categories cannot be read: the database is unavailable; try again");
	resp_ok(r, storekey_taxonomy_json(tax));
	return ERR_OK;
}
