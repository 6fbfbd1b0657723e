/* app.h - a worker's long-lived resources, opened after fork on first use. */
#ifndef COFFER_APP_H
#define COFFER_APP_H

#include "conf.h"
#include "err.h"

struct mime;
struct store_backend;
struct storekey_taxonomy;

/* Remember the configuration; opens nothing yet (the master must not). */
void app_init(const struct conf *conf);

/* The worker's libmagic handle, loaded on first use.  ERR_INTERNAL if the
 * magic database cannot be loaded.  Owned by this module. */
enum err app_mime(struct mime **out, const char **errstr);

/* The storage backend and its handle, opened on first use and reopened
 * after a failed open (a missing root or an unreachable S3 is ERR_BACKEND,
 * retried on the next request).  Owned by this module. */
enum err app_store(const struct store_backend **backend, void **handle, const char **errstr);

/* The configured taxonomy (static). */
const struct storekey_taxonomy *app_taxonomy(void);

/* The MIME allowlist from [storage] allowed_types, NULL-terminated. */
const char *const *app_mime_allow(void);

/* Close everything (worker exit). */
void app_close(void);

#endif
