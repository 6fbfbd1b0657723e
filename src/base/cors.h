/* cors.h - [server] cors_origins: the exact web origins allowed cross-origin. */
#ifndef COFFER_CORS_H
#define COFFER_CORS_H

#include <stddef.h>

/*
 * Check a cors_origins list: origins separated by blanks or commas, each
 * "http(s)://host[:port]" in lower case without a path; empty is fine (no
 * origin allowed).  Returns 0, or -1 with a message naming the key and the
 * bad origin in errbuf.
 */
int cors_origins_check(const char *list, char *errbuf, size_t errlen);

/*
 * Iterate over the origins of a list: sets *origin (pointing into the list,
 * not NUL-terminated) and *len and returns 1, or returns 0 at the end.
 * Start with *p = the list.
 */
int cors_origins_next(const char **p, const char **origin, size_t *len);

#endif
