/* req.h - one FastCGI request as handlers see it. */
#ifndef COFFER_REQ_H
#define COFFER_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "base/err.h"

struct conf;
struct identity;
struct pool;

#define REQ_MAX_ARGS 4

struct req {
	FCGX_Request		*fcgx;
	struct pool		*pool;		/* freed when the request ends */
	const struct conf	*conf;
	const char		*method;
	const char		*path;		/* COFFER_PATH or DOCUMENT_URI, decoded by nginx */
	const char		*query;		/* QUERY_STRING, raw */
	const char		*request_id;	/* nginx $request_id, or ours */
	const char		*route;		/* matched pattern, for logs and metrics */
	int			 route_id;	/* its index in the route table (metrics) */
	const char		*args[REQ_MAX_ARGS];	/* "*" segments of the route */
	int			 nargs;
	int64_t			 start_ms;
	const struct identity	*identity;	/* see req_identity() */
	int			 status;	/* 0 until a response is written */
	size_t			 bytes_out;

	/* Set by req_fail(): the failure a handler reports. */
	const char		*err_code;	/* e.g. "INVALID_CATEGORY" */
	const char		*err_msg;	/* for people; never internals */
	struct json_object	*err_extra;	/* merged into the error body; set with req_fail_extra() */
	/* "Name: value\r\n" lines every response of this request carries,
	 * errors included (the tus headers); NULL: none. */
	const char		*resp_headers;
};

/* A FastCGI parameter, or NULL when absent.  Owned by libfcgi. */
const char *req_param(const struct req *r, const char *name);

/*
 * Record why the request failed and return rc, so a handler can write
 * `return req_fail(r, ERR_BADREQ, "INVALID_CATEGORY", "...")`.  code may be
 * NULL for the default code of rc; msg is copied into the request pool.
 */
enum err req_fail(struct req *r, enum err rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What an engine call was about: it says what ERR_NOTFOUND means. */
enum req_subject {
	REQ_NONE,		/* a step of ours: any ERR_NOTFOUND is a defect */
	REQ_CUSTOMER,		/* the customer: no storage account, or suspended */
	REQ_FILE,		/* a file: no such live file of this customer */
};

/*
 * The one mapping of an engine or store failure rc to what the client
 * hears, recorded with req_fail(); returns the enum err for resp_error().
 *   REQ_FILE      ERR_NOTFOUND, ERR_BADREQ (a malformed id names no
 *                 file): 404 FILE_NOT_FOUND
 *   REQ_CUSTOMER  ERR_NOTFOUND: 403 CUSTOMER_NOT_FOUND, as /auth says it
 *                 (docs/AUTH.md); ERR_FORBIDDEN: 403 CUSTOMER_SUSPENDED
 *   ERR_DB        503 DATABASE_UNAVAILABLE (db.c has logged why)
 *   ERR_BACKEND   503 BACKEND_UNAVAILABLE (the store or caller has logged why)
 *   ERR_NOMEM     503 OVERLOADED
 *   anything else 500 INTERNAL_ERROR, logged with what and errstr: a
 *                 defect or a deployment error, never the client's doing
 * Failures that carry the caller's detail (ERR_QUOTA and ERR_TOOBIG with
 * their figures) are mapped by the caller before it falls back on this.
 * what names the step for the log ("listing files"); errstr may be NULL.
 */
enum err req_fail_engine(struct req *r, enum err rc, enum req_subject about, const char *what,
    const char *errstr);

/*
 * Add key = val (taken over) to the fields merged into the error body
 * ("used", "limit", "detectedType", ...).  Owned by the request pool.
 */
void req_fail_extra(struct req *r, const char *key, struct json_object *val);

/*
 * The identity nginx passed for this request (FastCGI params
 * COFFER_CUSTOMER, COFFER_USER, COFFER_ROLE, set from /auth's answer by
 * auth_request_set; never the client's X-Coffer-* headers).  Parsed once
 * and kept in r->identity; *out points into the request pool.  Returns
 * ERR_OK, or ERR_INTERNAL (recorded with req_fail and logged) when the
 * params are absent or malformed: the location lacks auth_request, which
 * is a deployment error, never a client's.
 *
 * A location that leaves authentication to the worker (small uploads:
 * no subrequest, no temp file) says so with the param COFFER_AUTH=inline;
 * the credential is then proved here (credential_identify(), the code
 * /auth runs) and its failures are the request's own 4xx/503.
 */
enum err req_identity(struct req *r, const struct identity **out);

#ifdef COFFER_TEST_HOOKS
/*
 * Test builds only: "X-Coffer-Test-Pause: STAGE:MS" holds the worker at a
 * named stage (after-reserve, after-put, tus-after-write, ...) for MS
 * milliseconds, logging "test hook: pausing MS ms STAGE", so a test can
 * kill it there.
 */
void req_test_pause(struct req *r, const char *stage);
#else
#define req_test_pause(r, stage) ((void)0)
#endif

#endif
