/* auth.h - verifying credentials without a database or FastCGI: Bearer parsing, JWTs. */
#ifndef COFFER_AUTH_H
#define COFFER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/err.h"
#include "engine/identity.h"

/* The ERR_AUTH code for "no credentials at all" (RFC 6750 3.1: the
 * WWW-Authenticate challenge then carries no error attribute). */
#define AUTH_CODE_NO_CREDENTIALS	"MISSING_CREDENTIALS"

/* Longer Authorization values are refused before any decoding. */
#define AUTH_TOKEN_MAX	8192

/*
 * Every failure below returns ERR_AUTH (HTTP 401) and sets *code to a
 * static machine code and *errstr to a static message for people; neither
 * ever contains any part of the credential.  The codes:
 *   MISSING_CREDENTIALS    no Authorization: Bearer header (RFC 6750: no
 *                          error attribute in WWW-Authenticate)
 *   MALFORMED_TOKEN        not a well-formed token or JWT (bad base64url,
 *                          JSON, non-UTF-8, crit header, too long)
 *   ALGORITHM_NOT_ALLOWED  the JWT's alg is not [auth] jwt_algorithm
 *                          ("none" included)
 *   INVALID_SIGNATURE      the signature does not verify with the key
 *   TOKEN_EXPIRED, TOKEN_NOT_YET_VALID   exp, nbf or iat out of range
 *                          (after [auth] jwt_leeway)
 *   INVALID_ISSUER, INVALID_AUDIENCE     iss or aud not the configured one
 *   INVALID_CLAIMS         user or role claim missing or wrong, or no
 *                          customer claim for a non-platform role, or no exp
 *   INVALID_CUSTOMER_ID    the customer claim is not a canonical UUID
 *   JWT_NOT_CONFIGURED     HS256 with no jwt_secret: every JWT is refused
 */

/* 1 if c is in the base64url alphabet (RFC 4648 section 5), else 0. */
int auth_b64url_char(unsigned char c);

/*
 * Say at start and reload how JWTs are checked, and warn when none can
 * pass (HS256 without jwt_secret).  Never logs key material.
 */
void auth_log_config(const struct conf *conf);

/*
 * The credential of an Authorization header value: "Bearer <token68>",
 * scheme case-insensitive.  On ERR_OK *token points into header.
 */
enum err auth_bearer(const char *header, const char **token, const char **code,
    const char **errstr);

/*
 * Verify a JWT against conf's [auth] settings at time now (seconds since
 * the epoch) and fill *id from its claims.  The signature is verified with
 * the configured key and the header's alg must equal the configured
 * algorithm, so neither "none" nor an HS256 token made with an RS256
 * public key as its secret passes.  exp is required.  A claim role absent
 * means member.  Returns ERR_OK or ERR_AUTH (see above).
 */
enum err auth_jwt_verify(const struct conf *conf, const char *token, int64_t now,
    struct identity *id, const char **code, const char **errstr);

/*
 * Sign a token for id valid from now for ttl seconds with conf's algorithm
 * and claim names (iss and aud when configured).  key is the HS256 secret
 * or a PEM private key.  On ERR_OK *out is a NUL-terminated token the
 * caller frees with free().  ERR_CONFIG (bad key) or ERR_INTERNAL, with
 * *errstr set.
 */
enum err auth_jwt_issue(const struct conf *conf, const struct identity *id, int64_t now,
    int64_t ttl, const unsigned char *key, size_t keylen, char **out, const char **errstr);

#endif
