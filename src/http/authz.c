/* authz.c - roles against actions: one table, read by every handler through authz_check(). */
#include "config.h"

#include <stddef.h>

#include "http/authz.h"
#include "http/req.h"

static const struct {
	enum role	 min_role;
	int		 needs_customer;
	const char	*denied;	/* why, when the role is too low */
} authz_rules[AUTHZ__COUNT] = {
	[AUTHZ_WHOAMI] = { ROLE_MEMBER, 0, "" },
	[AUTHZ_FILES_READ] = { ROLE_MEMBER, 1, "Reading files requires a member role" },
	[AUTHZ_FILES_WRITE] = { ROLE_MEMBER, 1, "Changing files requires a member role" },
	/* The seed guarded this with the customer check alone (its defect). */
	[AUTHZ_USAGE_RECALCULATE] = { ROLE_ADMIN, 1, "Recalculating usage requires the admin role" },
	[AUTHZ_CUSTOMER_ADMIN] = { ROLE_ADMIN, 1, "This requires the admin role" },
};

enum err
authz_require(const struct identity *id, enum authz_action action, const char **errstr)
{
	if (id == NULL || (unsigned)action >= AUTHZ__COUNT || id->role == ROLE_NONE) {
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

enum err
authz_check(struct req *r, enum authz_action action, const struct identity **out)
{
	const struct identity *id;
	const char *why;
	enum err rc;

	*out = NULL;
	if ((rc = req_identity(r, &id)) != ERR_OK)
		return rc;
	if ((rc = authz_require(id, action, &why)) != ERR_OK)
		return req_fail(r, rc, rc == ERR_BADREQ ? "CUSTOMER_REQUIRED" : "INSUFFICIENT_ROLE",
		    "%s", why);
	*out = id;
	return ERR_OK;
}
