/* api_auth.c - GET /auth (nginx's auth_request target), /api/whoami, /api/admin/ping. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/api_auth.h"
#include "engine/apikey.h"
#include "engine/auth.h"
#include "http/credential.h"
#include "engine/customer.h"
#include "engine/db.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/resp.h"

/* The customer must exist, and be active unless the operator acts on it. */
static enum err
api_auth_customer(struct req *r, const struct identity *id, int64_t *maxfs)
{
	bool found, active;
	enum err rc;

	if (id->customer[0] == '\0')
		return ERR_OK;		/* a platform identity naming none */
	if ((rc = customer_status(db_conn(), id->customer, &found, &active, maxfs)) != ERR_OK)
		return credential_db_fail(r, rc);
	if (!found)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_NOT_FOUND",
		    "The customer does not exist");
	/* Operators must be able to look into a suspended customer. */
	if (!active && id->role != ROLE_PLATFORM)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	return ERR_OK;
}

enum err
api_auth_check(struct req *r, const struct identity *none)
{
	struct identity id;
	int64_t maxfs = 0;
	char hdr[320];
	int checked;
	enum err rc;

	(void)none;	/* the credential is what this route checks */
	memset(&id, 0, sizeof(id));
	if ((rc = credential_identify(r, &id, &checked, &maxfs)) != ERR_OK ||
	    (!checked && (rc = api_auth_customer(r, &id, &maxfs)) != ERR_OK)) {
		/* The code says why; the credential itself is never logged. */
		log_info("auth refused: %s", r->err_code ? r->err_code : err_strerror(rc));
		resp_error_subrequest(r, rc);
		return ERR_OK;
	}
	/* For this request's log line: who /auth let in. */
	r->identity = memcpy(pool_alloc(r->pool, sizeof(id)), &id, sizeof(id));
	/* Validated: a UUID or "", visible ASCII, a role name.  The plan's
	 * largest file rides along (read by the same statement): an upload
	 * handler refuses a bigger body before reading it (upload.c). */
	snprintf(hdr, sizeof(hdr),
	    "X-Coffer-Customer: %s\r\nX-Coffer-User: %s\r\nX-Coffer-Role: %s\r\n"
	    "X-Coffer-Max-File-Size: %" PRId64 "\r\n",
	    id.customer, id.user, identity_role_name(id.role), maxfs);
	resp_json(r, 200, json_object_new_object(), hdr);
	return ERR_OK;
}

enum err
api_auth_whoami(struct req *r, const struct identity *id)
{
	resp_ok(r, identity_to_json(id));
	return ERR_OK;
}

enum err
api_auth_admin_ping(struct req *r, const struct identity *id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pong", json_object_new_boolean(1));
	json_object_object_add(o, "role", json_object_new_string(identity_role_name(id->role)));
	resp_ok(r, o);
	return ERR_OK;
}
