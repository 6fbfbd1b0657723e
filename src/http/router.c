/* router.c - the route table: which handler serves which method and path, and who may call it. */
#include "config.h"

#include <string.h>

#include "http/api_auth.h"
#include "http/api_events.h"
#include "http/api_files.h"
#include "http/api_health.h"
#include "http/api_links.h"
#include "http/api_storage.h"
#include "http/api_tus.h"
#include "http/authz.h"
#include "daemon/metrics.h"
#include "base/pool.h"
#include "http/req.h"
#include "http/resp.h"
#include "http/router.h"

/* A handler runs only after the router has checked its access level; id
 * is the caller's identity, NULL for AUTHZ_PUBLIC and AUTHZ_LOOPBACK. */
typedef enum err (*route_handler)(struct req *, const struct identity *id);

struct route {
	const char		*method;
	const char		*pattern;	/* a "*" segment matches one path segment */
	enum authz_action	 access;	/* who may call it: authz.h */
	route_handler		 handler;
};

/*
 * Who may call what: the one table to audit.  Every level but PUBLIC and
 * LOOPBACK needs the identity nginx's auth_request put on the request;
 * MEMBER and ADMIN also need a customer (a platform identity names one
 * with the Coffer-Customer header).  docs/AUTH.md, "Routes".
 */
static const struct route routes[] = {
	{ "GET", "/healthz", AUTHZ_PUBLIC, api_health_healthz },
	{ "GET", "/readyz", AUTHZ_PUBLIC, api_health_readyz },
	{ "GET", "/status", AUTHZ_LOOPBACK, api_health_status },
	{ "GET", "/metrics", AUTHZ_LOOPBACK, api_health_metrics },
	/* nginx's auth_request target (it checks the credential itself);
	 * nginx exposes it only as internal /_auth. */
	{ "GET", "/auth", AUTHZ_PUBLIC, api_auth_check },
	{ "GET", "/api/whoami", AUTHZ_IDENTIFIED, api_auth_whoami },
	{ "GET", "/api/admin/ping", AUTHZ_ADMIN, api_auth_admin_ping },
	/* The seed's routes, with the seed's shapes. */
	{ "GET", "/api/storage/quota", AUTHZ_MEMBER, api_storage_quota },
	{ "GET", "/api/storage/stats", AUTHZ_MEMBER, api_storage_stats },
	{ "POST", "/api/storage/upload", AUTHZ_MEMBER, api_storage_upload },
	{ "DELETE", "/api/storage/file", AUTHZ_MEMBER, api_storage_delete_path },
	/* The seed guarded this with the customer check alone (its defect). */
	{ "POST", "/api/storage/recalculate", AUTHZ_ADMIN, api_storage_recalculate },
	/* Beyond the seed. */
	{ "GET", "/api/storage/taxonomy", AUTHZ_MEMBER, api_storage_taxonomy },
	{ "GET", "/api/storage/events", AUTHZ_MEMBER, api_events_list },
	{ "GET", "/api/storage/files", AUTHZ_MEMBER, api_files_list },
	{ "PUT", "/api/storage/files", AUTHZ_MEMBER, api_storage_put },
	{ "GET", "/api/storage/files/*", AUTHZ_MEMBER, api_files_get },
	{ "DELETE", "/api/storage/files/*", AUTHZ_MEMBER, api_files_delete },
	{ "GET", "/api/storage/files/*/url", AUTHZ_MEMBER, api_links_url },
	/* Resumable uploads, tus 1.0 (docs/TUS.md); OPTIONS is discovery. */
	{ "OPTIONS", "/api/storage/uploads", AUTHZ_IDENTIFIED, api_tus_options },
	{ "POST", "/api/storage/uploads", AUTHZ_MEMBER, api_tus_create },
	{ "OPTIONS", "/api/storage/uploads/*", AUTHZ_IDENTIFIED, api_tus_options },
	{ "HEAD", "/api/storage/uploads/*", AUTHZ_MEMBER, api_tus_head },
	{ "PATCH", "/api/storage/uploads/*", AUTHZ_MEMBER, api_tus_patch },
	{ "DELETE", "/api/storage/uploads/*", AUTHZ_MEMBER, api_tus_delete },
	/* Download links of the local backend: the link is the credential
	 * (nginx's /dl/ has no auth_request); docs/BACKENDS.md. */
	{ "GET", "/dl/*/*", AUTHZ_PUBLIC, api_links_download },
#ifdef COFFER_TEST_HOOKS
	{ "GET", "/debug/sleep", AUTHZ_PUBLIC, api_health_debug_sleep },
	{ "GET", "/debug/crash", AUTHZ_PUBLIC, api_health_debug_crash },
#endif
};

#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))
_Static_assert(sizeof(routes) / sizeof(routes[0]) < METRICS_ROUTES,
    "raise METRICS_ROUTES: /metrics keeps a counter row per route");

int
router_routes(const struct metrics_route **out)
{
	static struct metrics_route names[METRICS_ROUTES];
	int i;

	for (i = 0; i < NROUTES; i++) {
		names[i].method = routes[i].method;
		names[i].pattern = routes[i].pattern;
	}
	*out = names;
	return NROUTES;
}

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
	const struct identity *id;
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
		r->route_id = NROUTES;
		if (path_known)
			rc = req_fail(r, ERR_METHOD, NULL, "Method %s is not allowed here",
			    r->method);
		else
			rc = req_fail(r, ERR_NOTFOUND, NULL, "No such endpoint");
		resp_error(r, rc);
		return;
	}
	r->route = found->pattern;
	r->route_id = (int)(found - routes);
	if ((rc = authz_check(r, found->access, &id)) == ERR_OK)
		rc = found->handler(r, id);
	if (rc != ERR_OK)
		resp_error(r, rc);
	else if (r->status == 0)
		resp_error(r, req_fail(r, ERR_INTERNAL, NULL, "no response"));
}
