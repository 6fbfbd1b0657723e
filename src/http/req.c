/* req.c - request parameters, and recording a handler's failure (engine failures mapped in one place). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/pool.h"
#include "engine/identity.h"
#include "http/credential.h"
#include "http/req.h"

const char *
req_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx->envp);
}

enum err
req_fail(struct req *r, enum err rc, const char *code, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->err_code = code;
	r->err_msg = pool_strdup(r->pool, buf);
	return rc;
}

enum err
req_fail_engine(struct req *r, enum err rc, enum req_subject about, const char *what,
    const char *errstr)
{
	if (about == REQ_FILE && (rc == ERR_NOTFOUND || rc == ERR_BADREQ))
		return req_fail(r, ERR_NOTFOUND, "FILE_NOT_FOUND", "File not found");
	if (about == REQ_CUSTOMER && rc == ERR_NOTFOUND)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_NOT_FOUND",
		    "No storage account exists for this customer");
	if (about == REQ_CUSTOMER && rc == ERR_FORBIDDEN)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED",
		    "This customer's storage is suspended");
	switch (rc) {
	case ERR_DB:
		return req_fail(r, ERR_DB, NULL, "The database is unavailable; try again");
	case ERR_BACKEND:
		return req_fail(r, ERR_BACKEND, NULL,
		    "The storage backend is unavailable; try again");
	case ERR_NOMEM:
		return req_fail(r, ERR_NOMEM, NULL, "The server is temporarily overloaded");
	default:
		log_errorx("%s: %s", what, errstr ? errstr : err_strerror(rc));
		return req_fail(r, ERR_INTERNAL, NULL, "internal error");
	}
}

static void
req_put_extra(void *arg)
{
	json_object_put(arg);
}

void
req_fail_extra(struct req *r, const char *key, struct json_object *val)
{
	if (r->err_extra == NULL) {
		r->err_extra = json_object_new_object();
		pool_cleanup_add(r->pool, req_put_extra, r->err_extra);
	}
	json_object_object_add(r->err_extra, key, val);
}

enum err
req_identity(struct req *r, const struct identity **out)
{
	const char *customer = req_param(r, "COFFER_CUSTOMER");
	const char *user = req_param(r, "COFFER_USER");
	const char *role = req_param(r, "COFFER_ROLE");
	const char *auth = req_param(r, "COFFER_AUTH");
	struct identity *id;
	int checked;
	enum err rc;

	if (r->identity != NULL) {
		*out = r->identity;
		return ERR_OK;
	}
	*out = NULL;
	id = pool_zalloc(r->pool, sizeof(*id));
	if (auth != NULL && strcmp(auth, "inline") == 0) {
		/* The location sent no /auth subrequest: prove the credential
		 * here, with the same code.  Identity params are ignored. */
		if ((rc = credential_identify(r, id, &checked, NULL)) != ERR_OK) {
			log_info("auth refused: %s", r->err_code ? r->err_code : err_strerror(rc));
			return rc;
		}
		goto done;
	}
	id->role = identity_role_parse(role);
	/* /auth never answers 200 without these; their absence means the
	 * nginx location lacks auth_request.  Fail closed, and say where. */
	if (id->role == ROLE_NONE || identity_user_valid(user) == -1 ||
	    (customer != NULL && customer[0] != '\0' &&
	    identity_uuid_canon(customer, id->customer) == -1) ||
	    (id->customer[0] == '\0' && id->role != ROLE_PLATFORM)) {
		log_errorx("%s %s: no valid identity from nginx (COFFER_ROLE, COFFER_USER, "
		    "COFFER_CUSTOMER params); is auth_request configured for this location?",
		    r->method, r->path);
		return req_fail(r, ERR_INTERNAL, NULL, "no identity");
	}
	strcpy(id->user, user);
done:
	r->identity = id;
	*out = id;
	return ERR_OK;
}

#ifdef COFFER_TEST_HOOKS
void
req_test_pause(struct req *r, const char *stage)
{
	const char *v = req_param(r, "HTTP_X_COFFER_TEST_PAUSE");
	size_t n = strlen(stage);
	struct timespec ts;
	long ms;

	if (v == NULL || strncmp(v, stage, n) != 0 || v[n] != ':')
		return;
	ms = strtol(v + n + 1, NULL, 10);
	if (ms <= 0 || ms > 60000)
		return;
	log_info("test hook: pausing %ld ms %s", ms, stage);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}
#endif
