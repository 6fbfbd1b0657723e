/* authz.h - who may call a route: the access levels router.c's table names. */
#ifndef COFFER_AUTHZ_H
#define COFFER_AUTHZ_H

#include "base/err.h"
#include "engine/identity.h"

struct req;

/* Who may call a route; each level has one rule in authz.c. */
enum authz_action {
	AUTHZ_PUBLIC,		/* anyone: probes, nginx's /auth, signed /dl/ links */
	AUTHZ_LOOPBACK,		/* anyone on loopback (nginx denies the rest too) */
	AUTHZ_IDENTIFIED,	/* any identity, with or without a customer */
	AUTHZ_MEMBER,		/* member and above, of one customer */
	AUTHZ_ADMIN,		/* admin and above, of one customer */
	AUTHZ_PLATFORM,		/* the operator, with or without a customer */
	AUTHZ__COUNT
};

/*
 * May id perform action (one of the identity levels, AUTHZ_IDENTIFIED and
 * above)?  Returns ERR_OK; ERR_FORBIDDEN when id's role is below the
 * action's (or action needs no identity: ask authz_check()); ERR_BADREQ
 * when the action concerns one customer and a platform identity named
 * none.  *errstr (static) says why for people.
 */
enum err authz_require(const struct identity *id, enum authz_action action,
    const char **errstr);

/*
 * What the router asks before it calls a route's handler.  AUTHZ_PUBLIC:
 * ERR_OK, *out NULL.  AUTHZ_LOOPBACK: ERR_OK with *out NULL when nginx's
 * REMOTE_ADDR is a loopback address, else ERR_FORBIDDEN.  Every other
 * level: the request's identity (req_identity()) checked with
 * authz_require(), *out that identity (owned by the request).  Failures
 * are recorded with req_fail() under code INSUFFICIENT_ROLE,
 * CUSTOMER_REQUIRED or FORBIDDEN; *out is then NULL.
 */
enum err authz_check(struct req *r, enum authz_action action, const struct identity **out);

#endif
