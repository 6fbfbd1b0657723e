/* customer.h - customers (tenants): creation, plan, limit override, status. */
#ifndef COFFER_CUSTOMER_H
#define COFFER_CUSTOMER_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "base/err.h"
#include "engine/quota.h"

/*
 * Every change is one statement that also writes an audit row
 * ('customer.create', 'customer.plan', 'customer.limit', 'customer.suspend',
 * 'customer.activate') with actor and the before/after values.  Errors:
 * ERR_NOTFOUND (no such customer, or no such plan; errstr says which),
 * ERR_BADREQ (malformed id), ERR_CONFLICT (create: the id exists), ERR_DB.
 */

/* Create customer id on plan; limit NULL or QUOTA_LIMIT_PLAN: the plan's. */
enum err customer_create(PGconn *pg, const char *id, const char *plan,
    const struct quota_limit *limit, const char *actor, const char **errstr);

/* Move to another plan.  Usage is untouched even when above the new limit:
 * uploads are then refused (ERR_QUOTA) and deletes still allowed. */
enum err customer_set_plan(PGconn *pg, const char *id, const char *plan,
    const char *actor, const char **errstr);

/* Override the plan's limit (bytes, unlimited) or drop the override (plan). */
enum err customer_set_limit(PGconn *pg, const char *id, const struct quota_limit *limit,
    const char *actor, const char **errstr);

/* Suspend (uploads refused with ERR_FORBIDDEN) or reactivate. */
enum err customer_set_status(PGconn *pg, const char *id, bool active,
    const char *actor, const char **errstr);

/*
 * The customer as operators see it: quota_info_json() plus customerId and
 * limitSource ("plan" or "override").  On ERR_OK the caller owns *out.
 */
enum err customer_show(PGconn *pg, const char *id, struct json_object **out,
    const char **errstr);

/*
 * Whether customer id exists and is active, and its plan's max_file_size
 * (0 when not found): one indexed read, the statement /auth runs for each
 * JWT-authenticated request.  Errors are db_run()'s: ERR_DB, or ERR_BADREQ
 * for a malformed id.
 */
enum err customer_status(PGconn *pg, const char *id, bool *found, bool *active,
    int64_t *max_file_size);

#endif
