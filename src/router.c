/* router.c - the route table: which handler serves which method and path. */
#include "config.h"

#include <string.h>

#include "api_health.h"
#include "pool.h"
#include "req.h"
#include "resp.h"
#include "router.h"

typedef enum err (*route_handler)(struct req *);

struct route {
	const char	*method;
	const char	*pattern;	/* a "*" segment matches one path segment */
	route_handler	 handler;
};

static const struct route routes[] = {
	{ "GET", "/healthz", api_health_healthz },
	{ "GET", "/readyz", api_health_readyz },
	{ "GET", "/status", api_health_status },
#ifdef COFFER_TEST_HOOKS
	{ "GET", "/debug/sleep", api_health_debug_sleep },
	{ "GET", "/debug/crash", api_health_debug_crash },
#endif
};

/* Match path against pattern; fills r->args with the "*" segments. */
static int
router_match(struct req *r, const char *pattern, const char *path)
{
	const char *p = pattern, *s = path;

	r->nargs = 0;
	while (*p != '\0' && *s != '\0') {
		if (*p == '*') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);

			if (len == 0 || r->nargs == REQ_MAX_ARGS)
				return 0;
			r->args[r->nargs++] = pool_strndup(r->pool, s, len);
			s += len;
			p++;
			continue;
		}
		if (*p++ != *s++)
			return 0;
	}
	return *p == '\0' && *s == '\0';
}

void
router_dispatch(struct req *r)
{
	const struct route *rt, *found = NULL;
	int path_known = 0;
	enum err rc;
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		rt = &routes[i];
		if (!router_match(r, rt->pattern, r->path))
			continue;
		path_known = 1;
		if (strcmp(rt->method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			found = rt;
			break;
		}
	}
	if (found == NULL) {
		r->route = "unmatched";
		if (path_known)
			rc = req_fail(r, ERR_METHOD, NULL, "Method %s is not allowed here",
			    r->method);
		else
			rc = req_fail(r, ERR_NOTFOUND, NULL, "No such endpoint");
		resp_error(r, rc);
		return;
	}
	r->route = found->pattern;
	rc = found->handler(r);
	if (rc != ERR_OK)
		resp_error(r, rc);
	else if (r->status == 0)
		resp_error(r, req_fail(r, ERR_INTERNAL, NULL, "no response"));
}
