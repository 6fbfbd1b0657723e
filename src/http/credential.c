/* credential.c - the request's credential proved: a JWT or an API key, and the customer it acts for. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "engine/apikey.h"
#include "engine/auth.h"
#include "engine/db.h"
#include "http/credential.h"

/* The platform's way of naming the customer a request acts for. */
#define CREDENTIAL_SELECT	"HTTP_COFFER_CUSTOMER"

/* A database failure while checking credentials: 503 AUTH_UNAVAILABLE
 * (through nginx) when PostgreSQL is away, a plain 500 otherwise.  db.c
 * has logged the cause. */
enum err
credential_db_fail(struct req *r, enum err rc)
{
	return req_fail(r, rc, rc == ERR_DB ? "AUTH_UNAVAILABLE" : NULL,
	    "Credentials cannot be checked right now; try again");
}

/* How many times the FastCGI param name (with "=") was sent. */
static int
credential_param_count(const struct req *r, const char *name_eq)
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
credential_check(struct req *r, struct identity *id, int *checked, int64_t *maxfs)
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
		return credential_db_fail(r, rc);
	/* RFC 6750: a revoked credential is an invalid token, hence 401. */
	if (row.revoked)
		return req_fail(r, ERR_AUTH, "API_KEY_REVOKED", "The API key has been revoked");
	if (!row.customer_active)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED", "The customer is suspended");
	*id = row.id;
	*checked = 1;
	if (maxfs != NULL)
		*maxfs = row.max_file_size;
	return ERR_OK;
}

/*
 * The Coffer-Customer header: a platform identity names the customer it
 * acts for; anyone else may only name their own (or send none).  API keys
 * are never platform, so a key's already checked customer stays.
 */
static enum err
credential_select(struct req *r, struct identity *id)
{
	const char *sel = req_param(r, CREDENTIAL_SELECT);
	char canon[IDENTITY_UUID_LEN + 1];

	if (sel == NULL || sel[0] == '\0')
		return ERR_OK;
	/* nginx 1.22 passes a repeated header as repeated params. */
	if (credential_param_count(r, CREDENTIAL_SELECT "=") > 1)
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

enum err
credential_identify(struct req *r, struct identity *id, int *checked, int64_t *max_file_size)
{
	enum err rc;

	if ((rc = credential_check(r, id, checked, max_file_size)) != ERR_OK)
		return rc;
	return credential_select(r, id);
}
