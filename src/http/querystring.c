/* querystring.c - application/x-www-form-urlencoded query strings, decoded strictly. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "http/querystring.h"
#include "base/text.h"

/* Decode [s, s+n) into the pool; NULL on a bad escape, a NUL, a control
 * character or bytes that are not UTF-8. */
static char *
querystring_decode(struct pool *p, const char *s, size_t n)
{
	char *out = pool_alloc(p, n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n || (hi = text_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = text_hexval((unsigned char)s[i + 2])) < 0)
				return NULL;
			if (hi == 0 && lo == 0)
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	/* Values reach headers, the database and logs: text only. */
	if (!text_utf8_ok((const unsigned char *)out, (size_t)(o - out)))
		return NULL;
	return out;
}

enum err
querystring_get(struct req *r, const char *name, const char **out)
{
	const char *q = r->query, *amp, *eq;
	size_t nlen = strlen(name), seg;
	char *val;

	*out = NULL;
	while (q != NULL && *q != '\0') {
		amp = strchr(q, '&');
		seg = amp ? (size_t)(amp - q) : strlen(q);
		eq = memchr(q, '=', seg);
		if ((eq ? (size_t)(eq - q) : seg) == nlen && strncmp(q, name, nlen) == 0) {
			if (*out != NULL)
				return req_fail(r, ERR_BADREQ, "INVALID_QUERY",
				    "Query parameter %s is given more than once", name);
			val = eq ? querystring_decode(r->pool, eq + 1, seg - nlen - 1) :
			    pool_strdup(r->pool, "");
			if (val == NULL)
				return req_fail(r, ERR_BADREQ, "INVALID_QUERY",
				    "Query parameter %s is not properly encoded UTF-8 text", name);
			*out = val;
		}
		q = amp ? amp + 1 : NULL;
	}
	return ERR_OK;
}

enum err
querystring_get_int(struct req *r, const char *name, long long min, long long max,
    long long def, long long *out)
{
	const char *v;
	char *end;
	enum err rc;
	long long n;

	if ((rc = querystring_get(r, name, &v)) != ERR_OK)
		return rc;
	if (v == NULL || v[0] == '\0') {
		*out = def;
		return ERR_OK;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return req_fail(r, ERR_BADREQ, "INVALID_QUERY",
		    "%s must be an integer from %lld to %lld", name, min, max);
	*out = n;
	return ERR_OK;
}
