/* authz.h - the one place that decides which role may do what. */
#ifndef COFFER_AUTHZ_H
#define COFFER_AUTHZ_H

#include "base/err.h"
#include "engine/identity.h"

struct req;

/* What a handler is about to do; each has one rule in authz.c. */
enum authz_action {
	AUTHZ_WHOAMI,			/* read one's own identity */
	AUTHZ_FILES_READ,		/* quota, stats, list, metadata, download */
	AUTHZ_FILES_WRITE,		/* upload, delete */
	AUTHZ_USAGE_RECALCULATE,	/* POST /api/storage/recalculate */
	AUTHZ_CUSTOMER_ADMIN,		/* the customer's administration */
	AUTHZ__COUNT
};

/*
 * May id perform action?  Returns ERR_OK; ERR_FORBIDDEN when id's role is
 * below the action's; ERR_BADREQ when the action concerns one customer and
 * a platform identity named none.  *errstr (static) says why for people.
 */
enum err authz_require(const struct identity *id, enum authz_action action,
    const char **errstr);

/*
 * What handlers call first: the request's identity (req_identity())
 * checked with authz_require(), the failure recorded with req_fail() under
 * code INSUFFICIENT_ROLE or CUSTOMER_REQUIRED.  On ERR_OK *out is the
 * identity (owned by the request).
 */
enum err authz_check(struct req *r, enum authz_action action, const struct identity **out);

#endif
