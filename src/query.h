/* query.h - reading QUERY_STRING parameters safely. */
#ifndef COFFER_QUERY_H
#define COFFER_QUERY_H

#include "req.h"

/*
 * The percent-decoded value of name in r->query ('+' is a space), in the
 * request pool; *out is NULL when absent.  A malformed escape, a NUL byte
 * or the name given twice is ERR_BADREQ ("INVALID_QUERY") so that no
 * ambiguity reaches a handler.
 */
enum err query_get(struct req *r, const char *name, const char **out);

/* name as an integer within [min, max]; def when absent. */
enum err query_get_int(struct req *r, const char *name, long long min, long long max,
    long long def, long long *out);

#endif
