/* taxonomy.h - the operator's categories in PostgreSQL: a per-worker cache, and the changes cofferctl makes. */
#ifndef COFFER_TAXONOMY_H
#define COFFER_TAXONOMY_H

#include <stdint.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/err.h"
#include "engine/storekey.h"

/*
 * The taxonomy as of at most ttl_ms ago (now_ms on the caller's monotonic
 * clock): the cached one while it is younger than ttl_ms, else read again
 * from pg (one statement, no session state: fine through PgBouncer in
 * transaction mode).  A taxonomy is replaced only when its rows changed,
 * and one that was handed out is never freed before taxonomy_cache_free(),
 * so pointers a request took from it (struct storekey's category) stay
 * valid.  When the read fails, or what is read does not pass
 * storekey_taxonomy_check(), the previous taxonomy is returned (logged;
 * read again on the next call) - NULL if there never was one, which
 * storekey_check() answers with ERR_DB.  pg may be NULL (no connection):
 * the same as a failed read.  Owned by this module.
 */
const struct storekey_taxonomy *taxonomy_cached(PGconn *pg, int64_t now_ms, int64_t ttl_ms);

/* Free every taxonomy the cache handed out (worker exit; tests). */
void taxonomy_cache_free(void);

/*
 * Read the taxonomy from pg into a new object: ERR_OK with *out (free it
 * with taxonomy_free()), ERR_DB / ERR_INTERNAL from the read, ERR_CONFIG
 * when the rows do not make a valid taxonomy (*errstr says why).
 */
enum err taxonomy_load(PGconn *pg, struct storekey_taxonomy **out, const char **errstr);

/* Free a taxonomy from taxonomy_load(); NULL is fine. */
void taxonomy_free(struct storekey_taxonomy *tax);

/*
 * Add a category (parent NULL; entity "none", "optional" or "required",
 * NULL for "none"; sub "optional" or "required", NULL for "optional") or a
 * subcategory of parent (entity and sub must be NULL).  Names follow
 * storekey.c's rule (1..32 of [a-z0-9-], not starting with '-').
 * ERR_BADREQ for a bad name or combination (an optional entity id and
 * subcategories exclude each other), ERR_NOTFOUND when parent does not
 * exist, ERR_CONFLICT when the name exists already; *errstr says which.
 */
enum err taxonomy_add(PGconn *pg, const char *name, const char *parent, const char *entity,
    const char *sub, const char **errstr);

/*
 * Remove a category with its subcategories (parent NULL) or one
 * subcategory of parent.  Refused with ERR_CONFLICT while a file that is
 * not deleted is stored under it (*held set to how many), ERR_NOTFOUND
 * when there is no such name.  Workers stop accepting it within their
 * cache's TTL; an upload in that window still lands, and keeps the
 * category from being removed until the file is deleted.
 */
enum err taxonomy_remove(PGconn *pg, const char *name, const char *parent, int64_t *held,
    const char **errstr);

#endif
