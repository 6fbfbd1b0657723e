/* handles.h - a worker's long-lived resources, opened after fork on first use. */
#ifndef COFFER_HANDLES_H
#define COFFER_HANDLES_H

#include "base/conf.h"
#include "base/err.h"

struct mime;
struct store_backend;
struct storekey_taxonomy;

/* Remember the configuration; opens nothing yet (the master must not). */
void handles_init(const struct conf *conf);

/* The worker's libmagic handle, loaded on first use.  ERR_INTERNAL if the
 * magic database cannot be loaded.  Owned by this module. */
enum err handles_mime(struct mime **out, const char **errstr);

/* The storage backend and its handle, opened on first use and reopened
 * after a failed open (a missing root or an unreachable S3 is ERR_BACKEND,
 * retried on the next request).  Owned by this module. */
enum err handles_store(const struct store_backend **backend, void **handle, const char **errstr);

/* The operator's categories as of at most [storage] category_ttl ago
 * (taxonomy_cached() on the worker's connection); NULL when they were
 * never readable, which storekey_check() answers with ERR_DB.  Pointers
 * into it stay valid until handles_close(). */
const struct storekey_taxonomy *handles_taxonomy(void);

/* The MIME allowlist from [storage] allowed_types, NULL-terminated. */
const char *const *handles_mime_allow(void);

/* Close everything (worker exit). */
void handles_close(void);

#endif
