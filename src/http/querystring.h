/* querystring.h - reading QUERY_STRING parameters safely. */
#ifndef COFFER_QUERYSTRING_H
#define COFFER_QUERYSTRING_H

#include "http/req.h"

/*
 * The percent-decoded value of name in r->query ('+' is a space), in the
 * request pool; *out is NULL when absent.  A malformed escape, a NUL byte
 * or the name given twice is ERR_BADREQ ("INVALID_QUERY") so that no
 * ambiguity reaches a handler.
 */
enum err querystring_get(struct req *r, const char *name, const char **out);

/* name as an integer within [min, max]; def when absent. */
enum err querystring_get_int(struct req *r, const char *name, long long min, long long max,
    long long def, long long *out);

#endif
