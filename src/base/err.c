/* err.c - names of the error codes. */
#include "config.h"

#include <stddef.h>

#include "base/err.h"

static const char *const err_names[ERR__COUNT] = {
	[ERR_OK] = "success",
	[ERR_NOMEM] = "out of memory",
	[ERR_BADREQ] = "bad request",
	[ERR_AUTH] = "authentication required",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_NOTFOUND] = "not found",
	[ERR_METHOD] = "method not allowed",
	[ERR_CONFLICT] = "conflict",
	[ERR_TOOBIG] = "too large",
	[ERR_MIME] = "type not allowed",
	[ERR_QUOTA] = "quota exceeded",
	[ERR_GONE] = "gone",
	[ERR_PRECONDITION] = "precondition failed",
	[ERR_DB] = "database unavailable",
	[ERR_BACKEND] = "storage backend unavailable",
	[ERR_CONFIG] = "invalid configuration",
	[ERR_SYS] = "system error",
	[ERR_INTERNAL] = "internal error",
};

const char *
err_strerror(enum err rc)
{
	if ((unsigned)rc >= ERR__COUNT || err_names[rc] == NULL)
		return "unknown error";
	return err_names[rc];
}
