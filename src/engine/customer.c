/* customer.c - creating customers and changing their plan, limit and status. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/customer.h"
#include "engine/db.h"

static const struct db_stmt customer_st_create = {
	"customer_create",
	"WITH c AS ("
	" INSERT INTO customers (customer_id, plan, limit_override, limit_override_unlimited)"
	" VALUES ($1::uuid, $2, $3::bigint, $4::boolean)"
	" RETURNING customer_id, plan, limit_override, limit_override_unlimited)"
	" INSERT INTO audit_log (customer_id, action, actor, detail)"
	" SELECT customer_id, 'customer.create', $5, jsonb_build_object('plan', plan,"
	"  'limitOverride', limit_override, 'unlimited', limit_override_unlimited) FROM c",
	5
};

/* FOR UPDATE in "old" reads the value being replaced, for the audit. */
static const struct db_stmt customer_st_set_plan = {
	"customer_set_plan",
	"WITH old AS (SELECT customer_id, plan FROM customers"
	"  WHERE customer_id = $1::uuid FOR UPDATE),"
	" c AS (UPDATE customers c SET plan = $2 FROM old"
	"  WHERE c.customer_id = old.customer_id RETURNING c.customer_id)"
	" INSERT INTO audit_log (customer_id, action, actor, detail)"
	" SELECT c.customer_id, 'customer.plan', $3,"
	"  jsonb_build_object('from', old.plan, 'to', $2::text) FROM c JOIN old USING (customer_id)",
	3
};

static const struct db_stmt customer_st_set_limit = {
	"customer_set_limit",
	"WITH old AS (SELECT customer_id, limit_override, limit_override_unlimited"
	"  FROM customers WHERE customer_id = $1::uuid FOR UPDATE),"
	" c AS (UPDATE customers c SET limit_override = $2::bigint,"
	"  limit_override_unlimited = $3::boolean FROM old"
	"  WHERE c.customer_id = old.customer_id RETURNING c.customer_id)"
	" INSERT INTO audit_log (customer_id, action, actor, detail)"
	" SELECT c.customer_id, 'customer.limit', $4, jsonb_build_object("
	"  'from', jsonb_build_object('limitOverride', old.limit_override,"
	"   'unlimited', old.limit_override_unlimited),"
	"  'to', jsonb_build_object('limitOverride', $2::bigint, 'unlimited', $3::boolean))"
	" FROM c JOIN old USING (customer_id)",
	4
};

static const struct db_stmt customer_st_set_status = {
	"customer_set_status",
	"WITH c AS (UPDATE customers SET status = $2 WHERE customer_id = $1::uuid"
	"  RETURNING customer_id)"
	" INSERT INTO audit_log (customer_id, action, actor)"
	" SELECT customer_id, CASE $2 WHEN 'active' THEN 'customer.activate'"
	"  ELSE 'customer.suspend' END, $3 FROM c",
	3
};

/* /auth's check of every JWT-authenticated request: is the customer active,
 * and how large may its files be (for the upload's early size check)? */
static const struct db_stmt customer_st_status = {
	"customer_status",
	"SELECT c.status = 'active', p.max_file_size"
	" FROM customers c JOIN plans p ON p.name = c.plan WHERE c.customer_id = $1::uuid",
	1
};

static const struct db_stmt customer_st_limit_source = {
	"customer_limit_source",
	"SELECT limit_override IS NOT NULL OR limit_override_unlimited FROM customers"
	" WHERE customer_id = $1::uuid",
	1
};

/* An INSERT ... SELECT FROM c inserts one audit row iff the change matched. */
static enum err
customer_one_row(PGresult *res, const char **errstr)
{
	if (strcmp(PQcmdTuples(res), "1") == 0)
		return ERR_OK;
	if (errstr != NULL)
		*errstr = "customer not found";
	return ERR_NOTFOUND;
}

/* A foreign key failure on customers.plan names a missing plan. */
static enum err
customer_fk(enum err rc, const char **errstr)
{
	if (rc == ERR_INTERNAL && strcmp(db_last_sqlstate(), "23503") == 0) {
		if (errstr != NULL)
			*errstr = "no such plan";
		return ERR_NOTFOUND;
	}
	return rc;
}

/* Limit as the two override columns. */
static void
customer_limit_params(const struct quota_limit *limit, char buf[24], const char **bytes,
    const char **unlimited)
{
	*bytes = NULL;
	*unlimited = "false";
	if (limit == NULL)
		return;
	if (limit->kind == QUOTA_LIMIT_UNLIMITED)
		*unlimited = "true";
	else if (limit->kind == QUOTA_LIMIT_BYTES) {
		snprintf(buf, 24, "%" PRId64, limit->bytes);
		*bytes = buf;
	}
}

enum err
customer_create(PGconn *pg, const char *id, const char *plan,
    const struct quota_limit *limit, const char *actor, const char **errstr)
{
	char buf[24];
	const char *params[5] = { id, plan, NULL, NULL, actor };
	PGresult *res = NULL;
	enum err rc;

	customer_limit_params(limit, buf, &params[2], &params[3]);
	if ((rc = db_run(pg, &customer_st_create, params, &res, errstr)) != ERR_OK) {
		if (rc == ERR_CONFLICT && errstr != NULL)
			*errstr = "a customer with this id already exists";
		return customer_fk(rc, errstr);
	}
	PQclear(res);
	return ERR_OK;
}

enum err
customer_set_plan(PGconn *pg, const char *id, const char *plan, const char *actor,
    const char **errstr)
{
	const char *params[3] = { id, plan, actor };
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, &customer_st_set_plan, params, &res, errstr)) != ERR_OK)
		return customer_fk(rc, errstr);
	rc = customer_one_row(res, errstr);
	PQclear(res);
	return rc;
}

enum err
customer_set_limit(PGconn *pg, const char *id, const struct quota_limit *limit,
    const char *actor, const char **errstr)
{
	char buf[24];
	const char *params[4] = { id, NULL, NULL, actor };
	PGresult *res = NULL;
	enum err rc;

	customer_limit_params(limit, buf, &params[1], &params[2]);
	if ((rc = db_run(pg, &customer_st_set_limit, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = customer_one_row(res, errstr);
	PQclear(res);
	return rc;
}

enum err
customer_set_status(PGconn *pg, const char *id, bool active, const char *actor,
    const char **errstr)
{
	const char *params[3] = { id, active ? "active" : "suspended", actor };
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, &customer_st_set_status, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = customer_one_row(res, errstr);
	PQclear(res);
	return rc;
}

enum err
customer_show(PGconn *pg, const char *id, struct json_object **out, const char **errstr)
{
	const char *params[1] = { id };
	struct quota_info q;
	PGresult *res = NULL;
	enum err rc;
	bool override;

	*out = NULL;
	if ((rc = quota_get(pg, id, &q, errstr)) != ERR_OK)
		return rc;
	if ((rc = db_run(pg, &customer_st_limit_source, params, &res, errstr)) != ERR_OK)
		return rc;
	override = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	*out = quota_info_json(&q);
	json_object_object_add(*out, "customerId", json_object_new_string(id));
	json_object_object_add(*out, "limitSource",
	    json_object_new_string(override ? "override" : "plan"));
	return ERR_OK;
}

enum err
customer_status(PGconn *pg, const char *id, bool *found, bool *active,
    int64_t *max_file_size)
{
	const char *params[1] = { id };
	PGresult *res;
	enum err rc;

	*found = *active = false;
	*max_file_size = 0;
	if ((rc = db_run(pg, &customer_st_status, params, &res, NULL)) != ERR_OK)
		return rc;
	*found = PQntuples(res) == 1;
	*active = *found && PQgetvalue(res, 0, 0)[0] == 't';
	if (*found)
		*max_file_size = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return ERR_OK;
}
