/* credential.h - the request's credential proved: a JWT or an API key, and the customer it acts for. */
#ifndef COFFER_CREDENTIAL_H
#define COFFER_CREDENTIAL_H

#include <stdint.h>

#include "base/err.h"
#include "engine/identity.h"
#include "http/req.h"

/*
 * Who the request's Authorization header proves it is, and the customer it
 * acts for (the Coffer-Customer header: platform identities name any,
 * others only their own).  An API key is looked up in the database with its
 * customer's status (then *checked = 1: the customer exists and is
 * active); a JWT is verified with no I/O (*checked = 0: the caller checks
 * the customer, or a statement that requires it active does).  Failures
 * are recorded with req_fail(): ERR_AUTH (401 codes of docs/AUTH.md),
 * ERR_FORBIDDEN, ERR_BADREQ, ERR_DB (AUTH_UNAVAILABLE).  The credential is
 * never logged.  With an API key, *max_file_size (if not NULL) is its
 * customer's plan's, read by the same statement; else it is untouched.
 */
enum err credential_identify(struct req *r, struct identity *id, int *checked,
    int64_t *max_file_size);

/* A database failure while checking credentials: AUTH_UNAVAILABLE (503)
 * when PostgreSQL is away, a plain 500 otherwise; db.c has logged why. */
enum err credential_db_fail(struct req *r, enum err rc);

#endif
