/* err.h - the one error enum of the daemon and its tools. */
#ifndef COFFER_ERR_H
#define COFFER_ERR_H

/*
 * Every fallible function returns one of these; ERR_OK is zero so that
 * `if ((rc = f()) != ERR_OK)` reads naturally.  Detail for people travels
 * beside the code (an errstr out-parameter), never inside it.
 */
enum err {
	ERR_OK = 0,
	ERR_NOMEM,
	ERR_BADREQ,
	ERR_AUTH,
	ERR_FORBIDDEN,
	ERR_NOTFOUND,
	ERR_METHOD,
	ERR_CONFLICT,
	ERR_TOOBIG,
	ERR_MIME,
	ERR_QUOTA,
	ERR_GONE,		/* existed, expired (410) */
	ERR_PRECONDITION,	/* a protocol precondition failed (412) */
	ERR_DB,
	ERR_BACKEND,
	ERR_CONFIG,
	ERR_SYS,
	ERR_INTERNAL,
	ERR__COUNT
};

/* A static, human-readable name for rc; never NULL. */
const char *err_strerror(enum err rc);

#endif
