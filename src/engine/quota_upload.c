/* quota_upload.c - an upload's quota decision: a reservation before the write, or one record after it. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/db.h"
#include "engine/quota.h"
#include "engine/quota_sql.h"

/* A pending row, and the room for it, if the upload fits. */
static const struct db_stmt quota_st_reserve = {
	"quota_reserve",
	"WITH c AS ("
	" UPDATE customers c SET storage_reserved = c.storage_reserved + $13::bigint,"
	"  file_count = c.file_count + 1"
	QUOTA_SQL_FITS
	" RETURNING c.customer_id)"
	" INSERT INTO files (customer_id, storage_key, category, subcategory, entity_id,"
	"  original_name, mime_type, file_type, size, uploaded_by, metadata, sha256, state,"
	"  charged_size)"
	" SELECT c.customer_id, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10, $11::jsonb, $12,"
	"  'pending', $13::bigint"
	" FROM c RETURNING id",
	13
};

/*
 * reserve + commit folded into one: the customer row is updated only if
 * the upload fits (the same conditions as quota_reserve), and every other
 * CTE reads from it, so a refusal writes nothing.  The lock order is the
 * reservation's: the customer row, then the new file row, then the
 * breakdown row.
 */
static const struct db_stmt quota_st_record = {
	"quota_record",
	"WITH c AS ("
	" UPDATE customers c SET storage_used = c.storage_used + $13::bigint,"
	"  file_count = c.file_count + 1"
	QUOTA_SQL_FITS
	" RETURNING c.customer_id, c.storage_used AS used,"
	"  coffer_effective_limit(c, " QUOTA_PLAN("storage_limit") ") AS lim),"
	" f AS ("
	" INSERT INTO files (customer_id, storage_key, category, subcategory, entity_id,"
	"  original_name, mime_type, file_type, size, uploaded_by, metadata, sha256, state,"
	"  stored_at, charged_size)"
	" SELECT c.customer_id, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10, $11::jsonb, $12,"
	"  'stored', now(), $13::bigint"
	" FROM c RETURNING customer_id, id, storage_key, size, charged_size, file_type, category,"
	"  subcategory,"
	"  original_name, mime_type, uploaded_by),"
	QUOTA_SQL_STORED("f.uploaded_by")
	/* Data-modifying CTEs run to completion whether read or not. */
	" SELECT f.id, " QUOTA_SQL_NOTES " FROM f",
	13
};

/* reserve or record: the same parameters, the same refusals. */
static enum err
quota_upload_run(PGconn *pg, const struct db_stmt *st, const struct quota_upload *up,
    char file_id[QUOTA_ID_LEN], struct quota_refusal *why, const char **errstr)
{
	char size[24], charged[24];
	const char *params[13];
	int64_t charge;
	PGresult *res = NULL;
	enum err rc;

	file_id[0] = '\0';
	if (why != NULL)
		memset(why, 0, sizeof(*why));
	if (up->size < 0) {
		if (errstr != NULL)
			*errstr = "negative size";
		return ERR_BADREQ;
	}
	/* Callers that say nothing (benchmarks, the DB tests) are charged the
	 * bare size; a charge below the size would undercount. */
	charge = up->charged > up->size ? up->charged : up->size;
	snprintf(size, sizeof(size), "%" PRId64, up->size);
	snprintf(charged, sizeof(charged), "%" PRId64, charge);
	params[0] = up->customer_id;
	params[1] = up->storage_key;
	params[2] = up->category;
	params[3] = up->subcategory;
	params[4] = up->entity_id;
	params[5] = up->original_name;
	params[6] = up->mime_type;
	params[7] = up->file_type;
	params[8] = size;
	params[9] = up->uploaded_by;
	params[10] = up->metadata_json;
	params[11] = up->sha256;
	params[12] = charged;
	if ((rc = db_run(pg, st, params, &res, errstr)) != ERR_OK) {
		if (rc == ERR_CONFLICT && errstr != NULL)
			*errstr = "a file with this storage key already exists";
		return rc;
	}
	if (PQntuples(res) == 1) {
		snprintf(file_id, QUOTA_ID_LEN, "%s", PQgetvalue(res, 0, 0));
		quota_announce(pg, quota_notes(res, 1));
		PQclear(res);
		return ERR_OK;
	}
	PQclear(res);
	return quota_refused(pg, up->customer_id, up->size, charge, why, errstr);
}

enum err
quota_reserve(PGconn *pg, const struct quota_upload *up, char file_id[QUOTA_ID_LEN],
    struct quota_refusal *why, const char **errstr)
{
	return quota_upload_run(pg, &quota_st_reserve, up, file_id, why, errstr);
}

enum err
quota_record(PGconn *pg, const struct quota_upload *up, char file_id[QUOTA_ID_LEN],
    struct quota_refusal *why, const char **errstr)
{
	return quota_upload_run(pg, &quota_st_record, up, file_id, why, errstr);
}
