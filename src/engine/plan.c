/* plan.c - listing and setting plans. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/plan.h"

static const struct db_stmt plan_st_list = {
	"plan_list",
	"SELECT p.name, p.storage_limit, p.max_file_size,"
	" (SELECT count(*) FROM customers c WHERE c.plan = p.name), p.max_files"
	" FROM plans p ORDER BY p.storage_limit NULLS LAST, p.name",
	0
};

/* xmax = 0 tells an inserted row from an updated one. */
static const struct db_stmt plan_st_upsert = {
	"plan_upsert",
	"INSERT INTO plans AS p (name, storage_limit, max_file_size)"
	" VALUES ($1, $2::bigint, coalesce($3::bigint, $4::bigint))"
	" ON CONFLICT (name) DO UPDATE SET storage_limit = EXCLUDED.storage_limit,"
	"  max_file_size = coalesce($3::bigint, p.max_file_size), updated_at = now()"
	" RETURNING (xmax = 0)",
	4
};

static const struct db_stmt plan_st_set_max_files = {
	"plan_set_max_files",
	"UPDATE plans SET max_files = $2::bigint, updated_at = now() WHERE name = $1",
	2
};

static const struct db_stmt plan_st_set_max = {
	"plan_set_max",
	"UPDATE plans SET max_file_size = $2::bigint, updated_at = now() WHERE name = $1",
	2
};

enum err
plan_list(PGconn *pg, struct json_object **out, const char **errstr)
{
	struct json_object *a, *o;
	char buf[QUOTA_FMT_LEN];
	PGresult *res = NULL;
	enum err rc;
	int64_t v;
	int i;

	*out = NULL;
	if ((rc = db_run(pg, &plan_st_list, NULL, &res, errstr)) != ERR_OK)
		return rc;
	a = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(PQgetvalue(res, i, 0)));
		if (PQgetisnull(res, i, 1)) {
			json_object_object_add(o, "storageLimit", NULL);
			json_object_object_add(o, "storageLimitFormatted",
			    json_object_new_string("Unlimited"));
		} else {
			v = strtoll(PQgetvalue(res, i, 1), NULL, 10);
			json_object_object_add(o, "storageLimit", json_object_new_int64(v));
			json_object_object_add(o, "storageLimitFormatted",
			    json_object_new_string(quota_format_bytes(v, buf, sizeof(buf))));
		}
		v = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		json_object_object_add(o, "maxFileSize", json_object_new_int64(v));
		json_object_object_add(o, "maxFileSizeFormatted",
		    json_object_new_string(quota_format_bytes(v, buf, sizeof(buf))));
		json_object_object_add(o, "customers",
		    json_object_new_int64(strtoll(PQgetvalue(res, i, 3), NULL, 10)));
		json_object_object_add(o, "maxFiles", PQgetisnull(res, i, 4) ? NULL :
		    json_object_new_int64(strtoll(PQgetvalue(res, i, 4), NULL, 10)));
		json_object_array_add(a, o);
	}
	PQclear(res);
	*out = a;
	return ERR_OK;
}

/* The CHECK on plans.name, said first so the operator gets a sentence. */
static int
plan_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 32 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

enum err
plan_set(PGconn *pg, const char *name, const struct quota_limit *limit,
    int64_t max_file_size, int64_t default_max, int *created, const char **errstr)
{
	char lim[24], max[24], def[24];
	const char *params[4];
	PGresult *res = NULL;
	enum err rc;

	*created = 0;
	if (!plan_name_ok(name)) {
		if (errstr != NULL)
			*errstr = "a plan name is 1-32 of a-z, 0-9, _ and -, starting with a letter";
		return ERR_BADREQ;
	}
	if (max_file_size < 0 || (limit != NULL && limit->kind == QUOTA_LIMIT_PLAN)) {
		if (errstr != NULL)
			*errstr = "a plan's limit is a size or \"unlimited\"";
		return ERR_BADREQ;
	}
	snprintf(max, sizeof(max), "%" PRId64, max_file_size);
	if (limit == NULL) {
		if (max_file_size == 0) {
			if (errstr != NULL)
				*errstr = "nothing to change: give --limit or --max-file-size";
			return ERR_BADREQ;
		}
		params[0] = name;
		params[1] = max;
		if ((rc = db_run(pg, &plan_st_set_max, params, &res, errstr)) != ERR_OK)
			goto fail;
		rc = strcmp(PQcmdTuples(res), "1") == 0 ? ERR_OK : ERR_NOTFOUND;
		if (rc == ERR_NOTFOUND && errstr != NULL)
			*errstr = "no such plan (a new plan needs --limit)";
		goto fail;
	}
	snprintf(lim, sizeof(lim), "%" PRId64, limit->bytes);
	snprintf(def, sizeof(def), "%" PRId64, default_max);
	params[0] = name;
	params[1] = limit->kind == QUOTA_LIMIT_UNLIMITED ? NULL : lim;
	params[2] = max_file_size > 0 ? max : NULL;
	params[3] = def;
	if ((rc = db_run(pg, &plan_st_upsert, params, &res, errstr)) != ERR_OK)
		goto fail;
	*created = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
fail:
	PQclear(res);
	return rc;
}

enum err
plan_set_max_files(PGconn *pg, const char *name, int64_t max_files, const char **errstr)
{
	char max[24];
	const char *params[2] = { name, max_files < 0 ? NULL : max };
	PGresult *res = NULL;
	enum err rc;

	if (max_files == 0) {
		if (errstr != NULL)
			*errstr = "--max-files is a positive number or \"unlimited\"";
		return ERR_BADREQ;
	}
	snprintf(max, sizeof(max), "%" PRId64, max_files);
	if ((rc = db_run(pg, &plan_st_set_max_files, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "1") == 0 ? ERR_OK : ERR_NOTFOUND;
	if (rc == ERR_NOTFOUND && errstr != NULL)
		*errstr = "no such plan";
	PQclear(res);
	return rc;
}
