/* req.c - request parameters and recording a handler's failure. */
#include "config.h"

#include <stdarg.h>
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
