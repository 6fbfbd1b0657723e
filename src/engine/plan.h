/* plan.h - plans: named storage limits and maximum file sizes (global reference data). */
#ifndef COFFER_PLAN_H
#define COFFER_PLAN_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/quota.h"

/*
 * Every plan, by name: [{name, storageLimit (null: unlimited),
 * storageLimitFormatted, maxFileSize, maxFileSizeFormatted, customers,
 * maxFiles (null: no limit)}].
 * On ERR_OK the caller owns *out; otherwise it is NULL.
 */
enum err plan_list(PGconn *pg, struct json_object **out, const char **errstr);

/*
 * Create or change a plan.  limit (bytes or unlimited; NULL keeps the
 * current one, and is refused for a new plan); max_file_size > 0 sets it,
 * 0 keeps it (a new plan then gets default_max).  *created tells which
 * happened.  ERR_BADREQ for a bad name (^[a-z][a-z0-9_-]{0,31}$) or limit,
 * ERR_NOTFOUND for a new plan without a limit.
 */
enum err plan_set(PGconn *pg, const char *name, const struct quota_limit *limit,
    int64_t max_file_size, int64_t default_max, int *created, const char **errstr);

/*
 * Set a plan's maximum number of files per customer (stored and in
 * flight); max_files < 0 removes the limit.  Customers already past it
 * keep their files and can delete, not upload.  ERR_BADREQ for 0,
 * ERR_NOTFOUND for an unknown plan, ERR_DB.
 */
enum err plan_set_max_files(PGconn *pg, const char *name, int64_t max_files,
    const char **errstr);

#endif
