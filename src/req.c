/* req.c - request parameters and recording a handler's failure. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "pool.h"
#include "req.h"

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
