/* api_auth.c - GET /auth (nginx's auth_request target), /api/whoami, /api/admin/ping. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api_auth.h"
#include "apikey.h"
#include "auth.h"
#include "authz.h"
#include "db.h"
#include "log.h"
#include "resp.h"

/* The platform's way of naming the customer a request acts for. */
#define API_AUTH_SELECT	"HTTP_COFFER_CUSTOMER"

typedef enum err (*api_auth_query)(PGconn *pg, void *arg);

/* libpq's message for a failed query, first line only (log lines are one
 * line each).  Static buffer. */
static const char *
api_auth_pgerror(PGconn *pg, const PGresult *res)
{
	static char buf[256];
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";

	snprintf(buf, sizeof(buf), "%s", m[0] != '\0' ? m : PQerrorMessage(pg));
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * Run q on the worker's connection; once more on a fresh connection when
 * the first one turns out broken (PostgreSQL restarted), so a restart
 * costs no request.  ERR_DB when PostgreSQL is unreachable.
 */
static enum err
api_auth_db(api_auth_query q, void *arg)
{
	PGconn *pg;
	enum err rc = ERR_DB;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((pg = db_conn()) == NULL)
			return ERR_DB;
		if ((rc = q(pg, arg)) != ERR_DB || PQstatus(pg) == CONNECTION_OK)
			break;
	}
	return rc;
}

struct api_auth_customer {
	const char	*customer;
	int		 found, active;
};

static enum err
api_auth_customer_status(PGconn *pg, void *arg)
{
	struct api_auth_customer *c = arg;
	const char *params[1] = { c->customer };
	PGresult *res;
	enum err rc = ERR_DB;

	res = PQexecParams(pg, "SELECT status = 'active' FROM customers WHERE customer_id = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		c->found = PQntuples(res) == 1;
		c->active = c->found && PQgetvalue(res, 0, 0)[0] == 't';
		rc = ERR_OK;
	} else {
		log_warnx("auth: customer lookup failed: %s", api_auth_pgerror(pg, res));
	}
	PQclear(res);
	return rc;
}

struct api_auth_key {
	const char		*key;
	struct apikey_row	 row;
};

static enum err
api_auth_key_lookup(PGconn *pg, void *arg)
{
	struct api_auth_key *k = arg;
	enum err rc = apikey_lookup(pg, k->key, &k->row);

	if (rc == ERR_DB)
		log_warnx("auth: API key lookup failed: %s", api_auth_pgerror(pg, NULL));
	return rc;
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
api_auth_credential(struct req *r, struct identity *id, int *checked)
{
	const char *header = req_param(r, "HTTP_AUTHORIZATION");
	const char *token, *code = NULL, *why = NULL;
	struct api_auth_key k;
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
	k.key = token;
	if ((rc = api_auth_db(api_auth_key_lookup, &k)) == ERR_DB)
		return req_fail(r, ERR_DB, "AUTH_UNAVAILABLE",
		    "Credentials cannot be checked right now; try again");
	if (rc != ERR_OK)
		return req_fail(r, ERR_AUTH, "INVALID_API_KEY", "The API key is not valid");
	/* RFC 6750: a revoked credential is an invalid token, hence 401. */
	if (k.row.revoked)
		return req_fail(r, ERR_AUTH, "API_KEY_REVOKED", "The API key has been revoked");
	if (!k.row.customer_active)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	*id = k.row.id;
	*checked = 1;
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
api_auth_customer(struct req *r, const struct identity *id)
{
	struct api_auth_customer c = { id->customer, 0, 0 };

	if (id->customer[0] == '\0')
		return ERR_OK;		/* a platform identity naming none */
	if (api_auth_db(api_auth_customer_status, &c) != ERR_OK)
		return req_fail(r, ERR_DB, "AUTH_UNAVAILABLE",
		    "Credentials cannot be checked right now; try again");
	if (!c.found)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_NOT_FOUND",
		    "The customer does not exist");
	/* Operators must be able to look into a suspended customer. */
	if (!c.active && id->role != ROLE_PLATFORM)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	return ERR_OK;
}

enum err
api_auth_check(struct req *r)
{
	struct identity id;
	char hdr[256];
	int checked;
	enum err rc;

	memset(&id, 0, sizeof(id));
	if ((rc = api_auth_credential(r, &id, &checked)) != ERR_OK ||
	    (rc = api_auth_select(r, &id)) != ERR_OK ||
	    (!checked && (rc = api_auth_customer(r, &id)) != ERR_OK)) {
		/* The code says why; the credential itself is never logged. */
		log_info("auth refused: %s", r->err_code ? r->err_code : err_strerror(rc));
		resp_error_subrequest(r, rc);
		return ERR_OK;
	}
	/* Validated: a UUID or "", visible ASCII, a role name. */
	snprintf(hdr, sizeof(hdr),
	    "X-Coffer-Customer: %s\r\nX-Coffer-User: %s\r\nX-Coffer-Role: %s\r\n",
	    id.customer, id.user, identity_role_name(id.role));
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
