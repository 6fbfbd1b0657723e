/* tusparts.c - the S3 multipart upload behind a resumable upload: its plan of parts and its rows. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "engine/db.h"
#include "engine/storekey.h"
#include "engine/tusparts.h"

#define TUSPARTS_MAX	10000	/* S3's limit on part numbers */

/* ---- the plan ------------------------------------------------------------ */

bool
tusparts_wanted(int64_t length, int64_t part_size)
{
	return part_size > 0 && length > part_size &&
	    (length + part_size - 1) / part_size <= TUSPARTS_MAX;
}

int
tusparts_count(int64_t length, int64_t part_size)
{
	if (length <= 0 || part_size <= 0)
		return 0;
	return (int)((length + part_size - 1) / part_size);
}

int
tusparts_due(int64_t length, int64_t part_size, int64_t offset)
{
	int64_t full;
	int n = tusparts_count(length, part_size);

	if (n == 0 || offset <= 0)
		return 0;
	full = (offset < length ? offset : length) / part_size;
	return full < n - 1 ? (int)full : n - 1;
}

void
tusparts_range(int64_t length, int64_t part_size, int n, int64_t *off, int64_t *len)
{
	*off = (int64_t)(n - 1) * part_size;
	*len = length - *off < part_size ? length - *off : part_size;
}

/* ---- the rows ------------------------------------------------------------ */

static const struct db_stmt tusparts_st_get = {
	"tusparts_get",
	"SELECT t.s3_upload_id, t.s3_key, t.s3_mime_type, t.s3_part_size, p.part_number,"
	" p.etag, p.size FROM tus_uploads t LEFT JOIN tus_parts p"
	"  ON p.customer_id = t.customer_id AND p.id = t.id"
	" WHERE t.customer_id = $1::uuid AND t.id = $2::uuid AND t.s3_upload_id IS NOT NULL"
	" ORDER BY p.part_number",
	2
};

static const struct db_stmt tusparts_st_begin = {
	"tusparts_begin",
	"UPDATE tus_uploads SET s3_upload_id = $3, s3_key = $4, s3_mime_type = $5,"
	" s3_part_size = $6::bigint"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND s3_upload_id IS NULL"
	" AND completed_at IS NULL AND expires_at > now()",
	6
};

static const struct db_stmt tusparts_st_add = {
	"tusparts_add",
	"INSERT INTO tus_parts (customer_id, id, part_number, etag, size)"
	" SELECT customer_id, id, $4::int, $5, $6::bigint FROM tus_uploads"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND s3_upload_id = $3"
	" ON CONFLICT (customer_id, id, part_number)"
	" DO UPDATE SET etag = excluded.etag, size = excluded.size",
	6
};

static const struct db_stmt tusparts_st_forget = {
	"tusparts_forget",
	"WITH gone AS (DELETE FROM tus_parts WHERE customer_id = $1::uuid AND id = $2::uuid)"
	" UPDATE tus_uploads SET s3_upload_id = NULL, s3_key = NULL, s3_mime_type = NULL,"
	" s3_part_size = NULL WHERE customer_id = $1::uuid AND id = $2::uuid",
	2
};

/* Either kind of owner; the customer is the key's (customers/{id}/...),
 * so the pending row is found by its unique (customer_id, storage_key). */
static const struct db_stmt tusparts_st_known = {
	"tusparts_known",
	"SELECT EXISTS (SELECT 1 FROM tus_uploads WHERE s3_upload_id = $1)"
	" OR ($2::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM files"
	"  WHERE customer_id = $2::uuid AND storage_key = $3 AND state = 'pending'))",
	3
};

enum err
tusparts_get(PGconn *pg, const char *customer_id, const char *id, struct tusparts *out,
    const char **errstr)
{
	const char *params[2] = { customer_id, id };
	PGresult *res = NULL;
	enum err rc;
	int i, n;

	memset(out, 0, sizeof(*out));
	if ((rc = db_run(pg, &tusparts_st_get, params, &res, errstr)) != ERR_OK)
		return rc;
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		if (errstr != NULL)
			*errstr = "no multipart upload";
		return ERR_NOTFOUND;
	}
	snprintf(out->upload_id, sizeof(out->upload_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(out->key, sizeof(out->key), "%s", PQgetvalue(res, 0, 1));
	snprintf(out->mime_type, sizeof(out->mime_type), "%s", PQgetvalue(res, 0, 2));
	out->part_size = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	out->parts = xcalloc((size_t)n, sizeof(*out->parts));
	for (i = 0; i < n; i++) {
		struct store_part *p = &out->parts[out->nparts];

		if (PQgetisnull(res, i, 4))
			continue;	/* begun, no part yet: the LEFT JOIN's one row */
		p->number = (int)strtol(PQgetvalue(res, i, 4), NULL, 10);
		snprintf(p->etag, sizeof(p->etag), "%s", PQgetvalue(res, i, 5));
		p->size = strtoll(PQgetvalue(res, i, 6), NULL, 10);
		out->nparts++;
	}
	PQclear(res);
	return ERR_OK;
}

enum err
tusparts_begin(PGconn *pg, const char *customer_id, const char *id, const char *upload_id,
    const char *key, const char *mime_type, int64_t part_size, const char **errstr)
{
	char ps[24];
	const char *params[6] = { customer_id, id, upload_id, key, mime_type, ps };
	enum err rc;

	snprintf(ps, sizeof(ps), "%" PRId64, part_size);
	rc = db_change(pg, &tusparts_st_begin, params, errstr);
	if (rc == ERR_NOTFOUND) {
		if (errstr != NULL)
			*errstr = "the upload has a multipart upload, or is gone";
		return ERR_CONFLICT;
	}
	return rc;
}

enum err
tusparts_add(PGconn *pg, const char *customer_id, const char *id, const char *upload_id,
    const struct store_part *part, const char **errstr)
{
	char num[16], size[24];
	const char *params[6] = { customer_id, id, upload_id, num, part->etag, size };

	snprintf(num, sizeof(num), "%d", part->number);
	snprintf(size, sizeof(size), "%" PRId64, part->size);
	return db_change(pg, &tusparts_st_add, params, errstr);
}

enum err
tusparts_forget(PGconn *pg, const char *customer_id, const char *id, const char **errstr)
{
	const char *params[2] = { customer_id, id };
	enum err rc = db_change(pg, &tusparts_st_forget, params, errstr);

	return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

int
tusparts_known(PGconn *pg, const char *key, const char *upload_id)
{
	char cust[STOREKEY_UUID_LEN + 1];
	const char *params[3] = { upload_id, NULL, key };
	PGresult *res = NULL;
	int known;

	if (storekey_customer(key, cust))
		params[1] = cust;
	if (db_run(pg, &tusparts_st_known, params, &res, NULL) != ERR_OK)
		return -1;
	known = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return known;
}
