/* api_auth.h - the authentication endpoint for nginx and the identity routes. */
#ifndef COFFER_API_AUTH_H
#define COFFER_API_AUTH_H

#include "http/req.h"

/*
 * GET /auth: nginx's auth_request target, reachable only through the
 * internal /_auth location.  Verifies Authorization: Bearer <JWT or API
 * key>, applies a platform's Coffer-Customer header, checks the customer
 * exists and is active, and answers 200 with X-Coffer-Customer,
 * X-Coffer-User and X-Coffer-Role, or 401/403 (see resp_error_subrequest()
 * and docs/AUTH.md for the codes).  Never any other status.
 */
enum err api_auth_check(struct req *r, const struct identity *id);

/* GET /api/whoami: the identity the request acts with, as JSON. */
enum err api_auth_whoami(struct req *r, const struct identity *id);

/* GET /api/admin/ping: 200 for admin and platform, 403 for members. */
enum err api_auth_admin_ping(struct req *r, const struct identity *id);

#endif
