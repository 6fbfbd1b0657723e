/* resp.c - status lines, JSON bodies and the one error-to-HTTP mapping. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine/auth.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/errcodes.h"
#include "http/req.h"
#include "http/resp.h"

static const struct {
	int		 status;
	const char	*code;
	const char	*message;
} resp_map[ERR__COUNT] = {
	[ERR_OK] = { 200, "OK", "OK" },
	[ERR_NOMEM] = { 503, "OVERLOADED", "The server is temporarily overloaded" },
	[ERR_BADREQ] = { 400, "BAD_REQUEST", "The request is invalid" },
	[ERR_AUTH] = { 401, "UNAUTHORIZED", "Authentication required" },
	[ERR_FORBIDDEN] = { 403, "FORBIDDEN", "Not allowed" },
	[ERR_NOTFOUND] = { 404, "NOT_FOUND", "Not found" },
	[ERR_METHOD] = { 405, "METHOD_NOT_ALLOWED", "Method not allowed" },
	[ERR_CONFLICT] = { 409, "CONFLICT", "Conflict" },
	[ERR_TOOBIG] = { 413, "FILE_TOO_LARGE", "File too large" },
	[ERR_MIME] = { 415, "MIME_NOT_ALLOWED", "File type not allowed" },
	[ERR_QUOTA] = { 507, "QUOTA_EXCEEDED", "Storage quota exceeded" },
	[ERR_GONE] = { 410, "GONE", "Gone" },
	[ERR_PRECONDITION] = { 412, "PRECONDITION_FAILED", "Precondition failed" },
	[ERR_DB] = { 503, "DATABASE_UNAVAILABLE", "The database is unavailable; try again" },
	[ERR_BACKEND] = { 503, "BACKEND_UNAVAILABLE", "The storage backend is unavailable; try again" },
	[ERR_CONFIG] = { 500, "INTERNAL_ERROR", "Internal error" },
	[ERR_SYS] = { 500, "INTERNAL_ERROR", "Internal error" },
	[ERR_INTERNAL] = { 500, "INTERNAL_ERROR", "Internal error" },
};

static const char *
resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Internal Server Error";
	}
}

int
resp_status_for(enum err rc)
{
	if ((unsigned)rc >= ERR__COUNT)
		rc = ERR_INTERNAL;
	return resp_map[rc].status;
}

const char *
resp_code_for(enum err rc)
{
	if ((unsigned)rc >= ERR__COUNT)
		rc = ERR_INTERNAL;
	return resp_map[rc].code;
}

void
resp_json(struct req *r, int status, struct json_object *obj, const char *extra_headers)
{
	size_t len;
	const char *body = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	FCGX_FPrintF(r->fcgx->out,
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s"
	    "Content-Length: %lu\r\n\r\n",
	    status, resp_reason(status), r->resp_headers ? r->resp_headers : "",
	    extra_headers ? extra_headers : "", (unsigned long)(len + 1));
	FCGX_PutStr(body, (int)len, r->fcgx->out);
	FCGX_PutChar('\n', r->fcgx->out);
	r->status = status;
	r->bytes_out += len + 1;
	json_object_put(obj);
}

void
resp_accel(struct req *r, const char *uri, const char *headers)
{
	FCGX_FPrintF(r->fcgx->out,
	    "Status: 200 OK\r\n"
	    "X-Accel-Redirect: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s\r\n",
	    uri, headers ? headers : "");
	r->status = 200;
}

void
resp_ok(struct req *r, struct json_object *data)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "data", data);
	resp_json(r, 200, o, NULL);
}

void
resp_empty(struct req *r, int status, const char *headers)
{
	FCGX_FPrintF(r->fcgx->out,
	    "Status: %d %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s\r\n",
	    status, resp_reason(status), r->resp_headers ? r->resp_headers : "",
	    headers ? headers : "", status == 204 ? "" : "Content-Length: 0\r\n");
	r->status = status;
}

void
resp_text(struct req *r, int status, const char *content_type, const char *body, size_t len)
{
	FCGX_FPrintF(r->fcgx->out,
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Content-Length: %lu\r\n\r\n",
	    status, resp_reason(status), content_type, (unsigned long)len);
	FCGX_PutStr(body, (int)len, r->fcgx->out);
	r->status = status;
	r->bytes_out += len;
}

#ifdef COFFER_TEST_HOOKS
/* Test builds: a code missing from errcodes.h, or sent with a status the
 * catalogue does not give it, is logged; the integration suites fail on
 * the line (tests/integration/conftest.py). */
static void
resp_check_catalogue(const char *code, int status)
{
	const struct errcode *e = errcodes_find(code);

	if (e == NULL || (e->status != status && strcmp(code, "INVALID_CUSTOMER_ID") != 0))
		log_errorx("uncatalogued error code %s with status %d (src/http/errcodes.h)",
		    code, status);
}
#else
#define resp_check_catalogue(code, status) ((void)0)
#endif

/* The error body for rc, and the status it goes with. */
static struct json_object *
resp_error_body(struct req *r, enum err rc, int *status)
{
	struct json_object *o = json_object_new_object();
	const char *code;

	if ((unsigned)rc >= ERR__COUNT)
		rc = ERR_INTERNAL;
	*status = resp_status_for(rc);
	/* 5xx other than "unavailable" never carries a handler's detail. */
	code = r->err_code != NULL && *status != 500 ? r->err_code : resp_map[rc].code;
	resp_check_catalogue(code, *status);
	json_object_object_add(o, "success", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(
	    r->err_msg != NULL && *status != 500 ? r->err_msg : resp_map[rc].message));
	json_object_object_add(o, "code", json_object_new_string(code));
	if (r->err_extra != NULL && *status != 500) {
		json_object_object_foreach(r->err_extra, key, val)
			json_object_object_add(o, key, json_object_get(val));
	}
	return o;
}

/* RFC 6750 3.1: no error attribute when no credentials came at all. */
static const char *
resp_www_authenticate(const struct req *r)
{
	if (r->err_code == NULL || strcmp(r->err_code, AUTH_CODE_NO_CREDENTIALS) == 0)
		return "WWW-Authenticate: Bearer realm=\"coffer\"\r\n";
	return "WWW-Authenticate: Bearer realm=\"coffer\", error=\"invalid_token\"\r\n";
}

void
resp_error(struct req *r, enum err rc)
{
	const char *hdr = NULL;
	struct json_object *o;
	int status;

	o = resp_error_body(r, rc, &status);
	if (rc == ERR_AUTH)
		hdr = resp_www_authenticate(r);
	else if (status == 503)
		hdr = "Retry-After: 5\r\n";
	resp_json(r, status, o, hdr);
}

/* Copy s into a header value that is also safe inside a JSON string in
 * nginx's error_page body: printable ASCII without quote or backslash. */
static void
resp_header_text(char *out, size_t len, const char *s)
{
	size_t i = 0;

	for (; *s != '\0' && i + 1 < len; s++)
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			out[i++] = *s;
	out[i] = '\0';
}

void
resp_error_subrequest(struct req *r, enum err rc)
{
	struct json_object *o, *v;
	char hdr[1024], msg[256], code[64];
	int status;

	o = resp_error_body(r, rc, &status);
	json_object_object_get_ex(o, "error", &v);
	resp_header_text(msg, sizeof(msg), json_object_get_string(v));
	json_object_object_get_ex(o, "code", &v);
	resp_header_text(code, sizeof(code), json_object_get_string(v));
	snprintf(hdr, sizeof(hdr), "%s"
	    "X-Coffer-Status: %d\r\n"
	    "X-Coffer-Error-Code: %s\r\n"
	    "X-Coffer-Error: %s\r\n",
	    rc == ERR_AUTH ? resp_www_authenticate(r) : "", status, code, msg);
	resp_json(r, rc == ERR_AUTH ? 401 : 403, o, hdr);
}
