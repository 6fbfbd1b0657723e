/* resp.h - writing responses: status line, headers, JSON bodies, errors. */
#ifndef COFFER_RESP_H
#define COFFER_RESP_H

#include <json-c/json.h>

#include "base/err.h"
#include "http/req.h"

/* HTTP status for an error code (400, 401, ..., 507, 503, 500). */
int resp_status_for(enum err rc);
/* The default machine-readable code ("BAD_REQUEST", "QUOTA_EXCEEDED", ...). */
const char *resp_code_for(enum err rc);

/*
 * Send obj as the whole JSON body with status.  Takes ownership of obj.
 * extra_headers, if not NULL, is one or more "Name: value\r\n" lines.
 * Every response (this, resp_empty(), so every error too) also carries
 * r->resp_headers.
 */
void resp_json(struct req *r, int status, struct json_object *obj, const char *extra_headers);

/*
 * A response without a body: status, then headers (one or more
 * "Name: value\r\n" lines, or NULL).  HEAD answers and 204s.
 */
void resp_empty(struct req *r, int status, const char *headers);

/* Send len bytes of body (borrowed) as content_type with status. */
void resp_text(struct req *r, int status, const char *content_type, const char *body,
    size_t len);
/*
 * Hand the body to nginx: an empty 200 whose X-Accel-Redirect names the
 * internal location nginx serves it from (uri), with headers (one or more
 * "Name: value\r\n" lines, or NULL) that nginx keeps (Content-Type,
 * Content-Disposition, Cache-Control).  uri and headers are the caller's
 * checked values: no CR or LF inside a line.
 */
void resp_accel(struct req *r, const char *uri, const char *headers);

/* {"success": true, "data": data} with 200.  Takes ownership of data. */
void resp_ok(struct req *r, struct json_object *data);

/*
 * The one place an error becomes a response:
 * {"success": false, "error": msg, "code": code, ...extra} with the status
 * for rc.  Uses what req_fail() recorded; internals never leave here.
 */
void resp_error(struct req *r, enum err rc);

/*
 * resp_error() for the target of nginx's auth_request, which accepts only
 * 2xx, 401 and 403 (anything else becomes a bare 500) and drops the body.
 * The status on the wire is 401 for ERR_AUTH (with WWW-Authenticate) and
 * 403 for every other error; the real status, the code and the message
 * travel in X-Coffer-Status, X-Coffer-Error-Code and X-Coffer-Error, which
 * the nginx site's error_page locations turn back into the JSON body.
 */
void resp_error_subrequest(struct req *r, enum err rc);

#endif
