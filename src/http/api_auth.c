/* api_auth.c - GET /auth (nginx's auth_request target), /api/whoami, /api/admin/ping. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/api_auth.h"
#include "engine/apikey.h"
#include "engine/auth.h"
#include "http/authz.h"
#include "engine/customer.h"
#include "engine/db.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/resp.h"

/* The platform's way of naming the customer a request acts for. */
#define API_AUTH_SELECT	"HTTP_COFFER_CUSTOMER"

/* A database failure while checking credentials: 503 AUTH_UNAVAILABLE
 * (through nginx) when PostgreSQL is away, a plain 500 otherwise.  db.c
 * has logged the cause. */
static enum err
api_auth_db_fail(struct req *r, enum err rc)
{
	return req_fail(r, rc, rc == ERR_DB ? "AUTH_UNAVAILABLE" : NULL,
	    "Credentials cannot be checked right now; try again");
}

/* How many times the FastCGI param name (with "=") was sent. */
static int
api_auth_param_count(const struct req *r, const char *name_eq)
{
	size_t n = strlen(name_eq);
	char **e;
	int count = 0;

	for (e = r->fcgx->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name_eq, n) == 0)
			count++;
	return count;
}

/*
 * The credential of the request, verified: an API key (looked up in the
 * database, with its customer's status: *checked = 1) or a JWT (no I/O).
 */
static enum err
api_auth_credential(struct req *r, struct identity *id, int *checked, int64_t *maxfs)
{
	const char *header = req_param(r, "HTTP_AUTHORIZATION");
	const char *token, *code = NULL, *why = NULL;
	struct apikey_row row;
	enum err rc;

	*checked = 0;
	if ((header == NULL || header[0] == '\0') && req_param(r, "HTTP_X_API_KEY") != NULL)
		return req_fail(r, ERR_AUTH, AUTH_CODE_NO_CREDENTIALS,
		    "Send the API key as Authorization: Bearer cof_...");
	if ((rc = auth_bearer(header, &token, &code, &why)) != ERR_OK)
		return req_fail(r, rc, code, "%s", why);
	if (!apikey_is_key(token)) {
		rc = auth_jwt_verify(r->conf, token, (int64_t)time(NULL), id, &code, &why);
		return rc == ERR_OK ? ERR_OK : req_fail(r, rc, code, "%s", why);
	}
	if ((rc = apikey_lookup(db_conn(), token, &row)) == ERR_AUTH)
		return req_fail(r, ERR_AUTH, "INVALID_API_KEY", "The API key is not valid");
	if (rc != ERR_OK)
		return api_auth_db_fail(r, rc);
	/* RFC 6750: a revoked credential is an invalid token, hence 401. */
	if (row.revoked)
		return req_fail(r, ERR_AUTH, "API_KEY_REVOKED", "The API key has been revoked");
	if (!row.customer_active)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	*id = row.id;
	*checked = 1;
	*maxfs = row.max_file_size;
	return ERR_OK;
}

/*
 * The Coffer-Customer header: a platform identity names the customer it
 * acts for; anyone else may only name their own (or send none).  API keys
 * are never platform, so a key's already checked customer stays.
 */
static enum err
api_auth_select(struct req *r, struct identity *id)
{
	const char *sel = req_param(r, API_AUTH_SELECT);
	char canon[IDENTITY_UUID_LEN + 1];

	if (sel == NULL || sel[0] == '\0')
		return ERR_OK;
	/* nginx 1.22 passes a repeated header as repeated params. */
	if (api_auth_param_count(r, API_AUTH_SELECT "=") > 1)
		return req_fail(r, ERR_BADREQ, "INVALID_CUSTOMER_SELECTION",
		    "Send the Coffer-Customer header once");
	if (identity_uuid_canon(sel, canon) == -1)
		return req_fail(r, ERR_BADREQ, "INVALID_CUSTOMER_SELECTION",
		    "The Coffer-Customer header must be a customer id (UUID)");
	if (id->role == ROLE_PLATFORM) {
		memcpy(id->customer, canon, sizeof(canon));
		return ERR_OK;
	}
	if (strcmp(canon, id->customer) != 0)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SELECTION_FORBIDDEN",
		    "Only platform credentials may name another customer");
	return ERR_OK;
}

/* The customer must exist, and be active unless the operator acts on it. */
static enum err
api_auth_customer(struct req *r, const struct identity *id, int64_t *maxfs)
{
	bool found, active;
	enum err rc;

	if (id->customer[0] == '\0')
		return ERR_OK;		/* a platform identity naming none */
	if ((rc = customer_status(db_conn(), id->customer, &found, &active, maxfs)) != ERR_OK)
		return api_auth_db_fail(r, rc);
	if (!found)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_NOT_FOUND",
		    "The customer does not exist");
	/* Operators must be able to look into a suspended customer. */
	if (!active && id->role != ROLE_PLATFORM)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	return ERR_OK;
}

enum err
api_auth_check(struct req *r)
{
	struct identity id;
	int64_t maxfs = 0;
	char hdr[320];
	int checked;
	enum err rc;

	memset(&id, 0, sizeof(id));
	if ((rc = api_auth_credential(r, &id, &checked, &maxfs)) != ERR_OK ||
	    (rc = api_auth_select(r, &id)) != ERR_OK ||
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
api_auth_whoami(struct req *r)
{
	const struct identity *id;
	enum err rc;

	if ((rc = authz_check(r, AUTHZ_WHOAMI, &id)) != ERR_OK)
		return rc;
	resp_ok(r, identity_to_json(id));
	return ERR_OK;
}

enum err
api_auth_admin_ping(struct req *r)
{
	const struct identity *id;
	struct json_object *o;
	enum err rc;

	if ((rc = authz_check(r, AUTHZ_CUSTOMER_ADMIN, &id)) != ERR_OK)
		return rc;
	o = json_object_new_object();
	json_object_object_add(o, "pong", json_object_new_boolean(1));
	json_object_object_add(o, "role", json_object_new_string(identity_role_name(id->role)));
	resp_ok(r, o);
	return ERR_OK;
}
