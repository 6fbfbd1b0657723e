/* authz.c - access levels against roles: one table, read by the router before any handler. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "http/authz.h"
#include "http/req.h"

static const struct {
	enum role	 min_role;	/* ROLE_NONE: no identity asked for */
	int		 needs_customer;
	const char	*denied;	/* why, when the role is too low */
} authz_rules[AUTHZ__COUNT] = {
	[AUTHZ_PUBLIC] = { ROLE_NONE, 0, "" },
	[AUTHZ_LOOPBACK] = { ROLE_NONE, 0, "" },
	[AUTHZ_IDENTIFIED] = { ROLE_MEMBER, 0, "Not allowed" },
	[AUTHZ_MEMBER] = { ROLE_MEMBER, 1, "This requires the member role" },
	/* The seed guarded recalculation with the customer check alone (its defect). */
	[AUTHZ_ADMIN] = { ROLE_ADMIN, 1, "This requires the admin role" },
	[AUTHZ_PLATFORM] = { ROLE_PLATFORM, 0, "This requires the platform role" },
};

enum err
authz_require(const struct identity *id, enum authz_action action, const char **errstr)
{
	if (id == NULL || (unsigned)action >= AUTHZ__COUNT || id->role == ROLE_NONE ||
	    authz_rules[action].min_role == ROLE_NONE) {
		*errstr = "Not allowed";
		return ERR_FORBIDDEN;
	}
	if (id->role < authz_rules[action].min_role) {
		*errstr = authz_rules[action].denied;
		return ERR_FORBIDDEN;
	}
	/* Only a platform identity may lack a customer (identity.h); it
	 * names one per request with the Coffer-Customer header. */
	if (authz_rules[action].needs_customer && id->customer[0] == '\0') {
		*errstr = "Name the customer with the Coffer-Customer header";
		return ERR_BADREQ;
	}
	*errstr = NULL;
	return ERR_OK;
}

/* nginx's $remote_addr (fastcgi_params): 127.0.0.0/8 or ::1. */
static int
authz_loopback(const char *addr)
{
	return addr != NULL && (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strncmp(addr, "::ffff:127.", 11) == 0);
}

enum err
authz_check(struct req *r, enum authz_action action, const struct identity **out)
{
	const struct identity *id;
	const char *why;
	enum err rc;

	*out = NULL;
	if (action == AUTHZ_PUBLIC)
		return ERR_OK;
	if (action == AUTHZ_LOOPBACK)
		return authz_loopback(req_param(r, "REMOTE_ADDR")) ? ERR_OK :
		    req_fail(r, ERR_FORBIDDEN, "FORBIDDEN", "Only loopback clients may ask this");
	if ((rc = req_identity(r, &id)) != ERR_OK)
		return rc;
	if ((rc = authz_require(id, action, &why)) != ERR_OK)
		return req_fail(r, rc, rc == ERR_BADREQ ? "CUSTOMER_REQUIRED" : "INSUFFICIENT_ROLE",
		    "%s", why);
	*out = id;
	return ERR_OK;
}
