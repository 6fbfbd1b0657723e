/* tus.c - resumable uploads: creation on top of quota_reserve, offsets, expiry, the reconciler's sweep. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/tus.h"

static const struct db_stmt tus_st_insert = {
	"tus_insert",
	"INSERT INTO tus_uploads (customer_id, id, upload_length, created_by, expires_at)"
	" VALUES ($1::uuid, $2::uuid, $3::bigint, $4, now() + make_interval(secs => $5::bigint))",
	5
};

/* The upload and its files row (absent once released). */
static const struct db_stmt tus_st_get = {
	"tus_get",
	"SELECT t.upload_length, t.upload_offset, extract(epoch FROM t.expires_at)::bigint,"
	" t.expires_at <= now(), t.completed_at IS NOT NULL,"
	" coalesce(f.state, ''), coalesce(f.storage_key, ''), coalesce(f.original_name, ''),"
	" coalesce(f.mime_type, ''), f.sha256 IS NOT NULL, coalesce(f.charged_size, 0)"
	" FROM tus_uploads t LEFT JOIN files f ON f.customer_id = t.customer_id AND f.id = t.id"
	"  AND f.state IN ('pending', 'stored')"
	" WHERE t.customer_id = $1::uuid AND t.id = $2::uuid",
	2
};

static const struct db_stmt tus_st_advance = {
	"tus_advance",
	"UPDATE tus_uploads SET upload_offset = $4::bigint"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND upload_offset = $3::bigint"
	" AND expires_at > now() AND completed_at IS NULL",
	4
};

static const struct db_stmt tus_st_finalize = {
	"tus_finalize",
	"UPDATE files SET storage_key = $3, mime_type = $4, file_type = $5, sha256 = $6"
	" WHERE customer_id = $1::uuid AND id = $2::uuid AND state = 'pending'",
	6
};

static const struct db_stmt tus_st_complete = {
	"tus_complete",
	"UPDATE tus_uploads SET completed_at = now(), upload_offset = upload_length"
	" WHERE customer_id = $1::uuid AND id = $2::uuid",
	2
};

static const struct db_stmt tus_st_delete = {
	"tus_delete",
	"DELETE FROM tus_uploads WHERE customer_id = $1::uuid AND id = $2::uuid",
	2
};

static const struct db_stmt tus_st_expired = {
	"tus_expired",
	"SELECT customer_id, id, completed_at IS NOT NULL, coalesce(s3_key, ''),"
	" coalesce(s3_upload_id, '') FROM tus_uploads"
	" WHERE expires_at <= now() AND ($1::uuid IS NULL OR customer_id = $1::uuid)"
	" ORDER BY expires_at, id",
	1
};

static const struct db_stmt tus_st_receiving = {
	"tus_receiving",
	"SELECT 1 FROM tus_uploads WHERE customer_id = $1::uuid AND id = $2::uuid"
	" AND completed_at IS NULL AND upload_offset < upload_length",
	2
};

enum err
tus_create(PGconn *pg, const struct quota_upload *up, int64_t expires_s,
    char id[QUOTA_ID_LEN], struct quota_refusal *why, const char **errstr)
{
	char len[24], exp[24];
	const char *params[5];
	PGresult *res = NULL;
	enum err rc;

	if ((rc = quota_reserve(pg, up, id, why, errstr)) != ERR_OK)
		return rc;
	snprintf(len, sizeof(len), "%" PRId64, up->size);
	snprintf(exp, sizeof(exp), "%" PRId64, expires_s);
	params[0] = up->customer_id;
	params[1] = id;
	params[2] = len;
	params[3] = up->uploaded_by;
	params[4] = exp;
	if ((rc = db_run(pg, &tus_st_insert, params, &res, errstr)) != ERR_OK) {
		/* A reservation nobody can resume would only wait for the
		 * reconciler: give it back now (and if that fails too, the
		 * reconciler does, its object never having existed). */
		quota_release(pg, up->customer_id, id, up->uploaded_by, NULL);
		id[0] = '\0';
		return rc;
	}
	PQclear(res);
	return ERR_OK;
}

enum err
tus_get(PGconn *pg, const char *customer_id, const char *id, struct tus_upload *out,
    const char **errstr)
{
	const char *params[2] = { customer_id, id };
	PGresult *res = NULL;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = db_run(pg, &tus_st_get, params, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		if (errstr != NULL)
			*errstr = "no such upload";
		return ERR_NOTFOUND;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->length = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	out->offset = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	out->expires_at = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	out->expired = PQgetvalue(res, 0, 3)[0] == 't';
	out->completed = PQgetvalue(res, 0, 4)[0] == 't';
	snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(res, 0, 5));
	snprintf(out->storage_key, sizeof(out->storage_key), "%s", PQgetvalue(res, 0, 6));
	snprintf(out->original_name, sizeof(out->original_name), "%s", PQgetvalue(res, 0, 7));
	snprintf(out->mime_type, sizeof(out->mime_type), "%s", PQgetvalue(res, 0, 8));
	out->finalized = PQgetvalue(res, 0, 9)[0] == 't';
	out->charged = strtoll(PQgetvalue(res, 0, 10), NULL, 10);
	PQclear(res);
	return ERR_OK;
}

enum err
tus_advance(PGconn *pg, const char *customer_id, const char *id, int64_t from, int64_t to,
    const char **errstr)
{
	char f[24], t[24];
	const char *params[4] = { customer_id, id, f, t };
	enum err rc;

	snprintf(f, sizeof(f), "%" PRId64, from);
	snprintf(t, sizeof(t), "%" PRId64, to);
	rc = db_change(pg, &tus_st_advance, params, errstr);
	if (rc == ERR_NOTFOUND) {
		if (errstr != NULL)
			*errstr = "the upload moved on, expired or completed";
		return ERR_CONFLICT;
	}
	return rc;
}

enum err
tus_finalize(PGconn *pg, const char *customer_id, const char *id, const char *storage_key,
    const char *mime_type, const char *file_type, const char *sha256, const char **errstr)
{
	const char *params[6] = { customer_id, id, storage_key, mime_type, file_type, sha256 };

	return db_change(pg, &tus_st_finalize, params, errstr);
}

enum err
tus_complete(PGconn *pg, const char *customer_id, const char *id, const char **errstr)
{
	const char *params[2] = { customer_id, id };

	return db_change(pg, &tus_st_complete, params, errstr);
}

enum err
tus_drop(PGconn *pg, const char *customer_id, const char *id, const char *actor,
    const char **errstr)
{
	const char *params[2] = { customer_id, id };
	enum err rc;

	/* Release first: a crash in between leaves a row whose reservation
	 * is gone, which every request then treats as gone too. */
	rc = quota_release(pg, customer_id, id, actor, errstr);
	if (rc != ERR_OK && rc != ERR_NOTFOUND)
		return rc;
	rc = db_change(pg, &tus_st_delete, params, errstr);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

enum err
tus_expire(PGconn *pg, const char *customer_id, bool dry_run, const char *actor,
    tus_dropped_fn dropped, void *arg, int64_t *n, const char **errstr)
{
	const char *params[1] = { customer_id };
	PGresult *res = NULL;
	enum err rc, first = ERR_OK;
	int i;

	*n = 0;
	if ((rc = db_run(pg, &tus_st_expired, params, &res, errstr)) != ERR_OK)
		return rc;
	for (i = 0; i < PQntuples(res); i++) {
		const char *c = PQgetvalue(res, i, 0), *id = PQgetvalue(res, i, 1);

		/* tus_drop() is idempotent and quota_release() settles a row
		 * once: a worker or a second reconciler racing us is harmless. */
		if (!dry_run && (rc = tus_drop(pg, c, id, actor, errstr)) != ERR_OK) {
			if (first == ERR_OK)
				first = rc;
			continue;
		}
		(*n)++;
		if (dropped != NULL)
			dropped(arg, c, id, PQgetvalue(res, i, 2)[0] == 't',
			    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
	}
	PQclear(res);
	return first;
}

int
tus_receiving(PGconn *pg, const char *customer_id, const char *file_id)
{
	const char *params[2] = { customer_id, file_id };
	PGresult *res = NULL;
	int live;

	if (db_run(pg, &tus_st_receiving, params, &res, NULL) != ERR_OK)
		return -1;
	live = PQntuples(res) == 1;
	PQclear(res);
	return live;
}
