/* xmalloc.h - allocation that ends the process on exhaustion (tmux style). */
#ifndef COFFER_XMALLOC_H
#define COFFER_XMALLOC_H

#include <stddef.h>

/* Out of memory ends the worker; the master restarts it.  Sizes a client
 * controls must be capped before they reach these. Caller owns the result. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
