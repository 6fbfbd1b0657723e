/* errcodes.h - every machine code an error body can carry: its status and meaning. */
#ifndef COFFER_ERRCODES_H
#define COFFER_ERRCODES_H

/*
 * The catalogue of the "code" in {"success":false,"error":...,"code":...}.
 * One X(CODE, STATUS, MEANING) per code, grouped as docs/ERRORS.md shows
 * them (tests/lint/check_errcodes.py writes that page from this list and
 * fails `make check` when the page, a code cofferd or nginx emits, or a
 * code web/js/ or clients/ expect is not here).  STATUS is the HTTP status
 * the code comes with; a code that comes with two names the usual one and
 * says when the other applies.  Status 0: never sent by the API (engine
 * codes, and the codes client packages raise when no answer came).  New
 * code: add it here first.
 */
#define ERRCODES(X) \
	/* Any route: the defaults of enum err (resp.c) and nginx's own. */ \
	X(BAD_REQUEST, 400, "The request is invalid; nginx: malformed, repeated or too large headers") \
	X(UNAUTHORIZED, 401, "Authentication required") \
	X(FORBIDDEN, 403, "Not allowed (a loopback-only route asked from elsewhere)") \
	X(NOT_FOUND, 404, "No such endpoint, or nginx found nothing there") \
	X(METHOD_NOT_ALLOWED, 405, "The path exists, the method does not") \
	X(REQUEST_TIMEOUT, 408, "nginx: the request took too long to arrive") \
	X(LENGTH_REQUIRED, 411, "nginx: a request body needs a length") \
	X(URI_TOO_LONG, 414, "nginx: the request URI is too long") \
	X(UNKNOWN_HOST, 421, "nginx: the Host is none of the site's server_name (the default server)") \
	X(RATE_LIMITED, 429, "nginx: too many mutating requests of this customer; retry after Retry-After") \
	X(CONFLICT, 409, "Conflict") \
	X(GONE, 410, "It existed and is gone") \
	X(PRECONDITION_FAILED, 412, "A protocol precondition failed") \
	X(INTERNAL_ERROR, 500, "A defect or a deployment error; the log says which, the body never") \
	X(NOT_IMPLEMENTED, 501, "nginx: a transfer encoding or method it does not implement") \
	X(HTTP_VERSION_NOT_SUPPORTED, 505, "nginx: an HTTP version it does not speak") \
	X(OVERLOADED, 503, "The server is temporarily overloaded; retry after Retry-After") \
	X(DATABASE_UNAVAILABLE, 503, "PostgreSQL is unreachable; retry after Retry-After") \
	X(BACKEND_UNAVAILABLE, 503, "The storage backend is unreachable or full; retry after Retry-After") \
	X(SERVICE_UNAVAILABLE, 503, "nginx: cofferd is unreachable or timed out") \
	/* Credentials (/auth, through nginx's auth_request): docs/AUTH.md. */ \
	X(MISSING_CREDENTIALS, 401, "No Authorization: Bearer credentials") \
	X(MALFORMED_TOKEN, 401, "Not a signed JWT; bad base64url, JSON or UTF-8; too long; empty") \
	X(INVALID_SIGNATURE, 401, "The token's signature does not verify") \
	X(ALGORITHM_NOT_ALLOWED, 401, "The token's alg is not the configured jwt_algorithm") \
	X(TOKEN_EXPIRED, 401, "The token's exp has passed") \
	X(TOKEN_NOT_YET_VALID, 401, "The token's nbf or iat lies in the future") \
	X(TOKEN_LIFETIME_TOO_LONG, 401, "exp - iat or exp - now is beyond [auth] jwt_max_lifetime") \
	X(INVALID_ISSUER, 401, "The token's iss is not the configured issuer") \
	X(INVALID_AUDIENCE, 401, "The token's aud is not the configured audience") \
	X(INVALID_CLAIMS, 401, "A claim is missing or malformed (exp, role, customer)") \
	X(INVALID_CUSTOMER_ID, 401, "The token's customer claim is not a UUID (400 from the storage key checks)") \
	X(JWT_NOT_CONFIGURED, 401, "JWTs are not accepted: no key is configured") \
	X(INVALID_API_KEY, 401, "Unknown or malformed cof_ API key") \
	X(API_KEY_REVOKED, 401, "The API key has been revoked") \
	X(AUTH_UNAVAILABLE, 503, "Credentials cannot be checked: PostgreSQL is unreachable") \
	/* Who may do what: docs/AUTH.md. */ \
	X(CUSTOMER_NOT_FOUND, 403, "The customer does not exist (has no storage account)") \
	X(CUSTOMER_SUSPENDED, 403, "The customer is suspended") \
	X(CUSTOMER_SELECTION_FORBIDDEN, 403, "Only platform credentials may name another customer") \
	X(INVALID_CUSTOMER_SELECTION, 400, "The Coffer-Customer header is repeated or not a UUID") \
	X(CUSTOMER_REQUIRED, 400, "A platform identity must name the customer with Coffer-Customer") \
	X(INSUFFICIENT_ROLE, 403, "The role is too low for the route") \
	/* Request bodies and query strings. */ \
	X(INVALID_QUERY, 400, "A query parameter is malformed or repeated") \
	X(BODY_REQUIRED, 400, "A JSON request body is required") \
	X(BODY_TOO_LARGE, 413, "The JSON request body is too large") \
	X(BODY_INCOMPLETE, 400, "The request body ended before its Content-Length") \
	X(FILE_PATH_REQUIRED, 400, "The body must be JSON with a filePath string") \
	X(INVALID_CURSOR, 400, "The cursor is not one this API returned") \
	/* Uploads: what the client said. */ \
	X(NO_FILE, 400, "No file part (multipart) or no body") \
	X(EMPTY_FILE, 400, "The file is empty") \
	X(INVALID_FIELD, 400, "A form field contains a NUL byte") \
	X(INVALID_CATEGORY, 400, "No such category (GET /api/storage/categories)") \
	X(INVALID_SUBCATEGORY, 400, "No such subcategory of the category") \
	X(SUBCATEGORY_REQUIRED, 400, "The category needs a subcategory") \
	X(SUBCATEGORY_NOT_ALLOWED, 400, "The category takes no subcategory") \
	X(ENTITY_ID_REQUIRED, 400, "The category needs an entityId") \
	X(ENTITY_ID_NOT_ALLOWED, 400, "The category takes no entityId") \
	X(INVALID_ENTITY_ID, 400, "The entityId has characters or a length not allowed") \
	X(INVALID_METADATA, 400, "metadata is not a JSON object by RFC 8259 (UTF-8, no NUL, exact numbers, no name twice)") \
	X(METADATA_TOO_LARGE, 400, "metadata is too large or too deep") \
	/* Uploads: the multipart body (multipart.c). */ \
	X(INVALID_CONTENT_TYPE, 400, "The request is not multipart/form-data") \
	X(MULTIPART_BOUNDARY, 400, "Missing or invalid multipart boundary") \
	X(MULTIPART_SYNTAX, 400, "Malformed multipart body") \
	X(MULTIPART_TRUNCATED, 400, "The multipart body is truncated") \
	X(MULTIPART_TOO_MANY_PARTS, 400, "Too many parts") \
	X(MULTIPART_HEADER_TOO_LARGE, 400, "A part's headers are too large") \
	X(FIELD_TOO_LARGE, 400, "A form field's value is too large") \
	X(FIELD_NAME_TOO_LONG, 400, "A form field's name is too long") \
	X(INVALID_FILENAME, 400, "The filename is not UTF-8 text") \
	X(DUPLICATE_FILE, 400, "More than one file part") \
	X(DUPLICATE_FIELD, 400, "A form field is repeated") \
	/* Uploads: what the bytes and the quota say. */ \
	X(FILE_TOO_LARGE, 413, "Larger than max_file_size or the plan's maximum; nginx: over client_max_body_size") \
	X(MIME_NOT_ALLOWED, 415, "The type sniffed from the bytes is not allowed (detectedType)") \
	X(QUOTA_EXCEEDED, 507, "The upload's charged size would pass the customer's limit (used, reserved, limit, needed)") \
	X(FILE_COUNT_EXCEEDED, 507, "The customer holds the plan's max_files already (fileCount, maxFiles)") \
	/* Resumable uploads (tus 1.0): docs/TUS.md. */ \
	X(TUS_VERSION_UNSUPPORTED, 412, "No Tus-Resumable: 1.0.0 header (the answer carries Tus-Version)") \
	X(UPLOAD_LENGTH_REQUIRED, 400, "No valid Upload-Length (Upload-Defer-Length is not supported)") \
	X(INVALID_UPLOAD_METADATA, 400, "Upload-Metadata is not tus's key base64 pairs, or repeats a key") \
	X(INVALID_UPLOAD_CONTENT_TYPE, 415, "Upload data not sent as application/offset+octet-stream") \
	X(UPLOAD_OFFSET_REQUIRED, 400, "A PATCH without a valid Upload-Offset") \
	X(UPLOAD_NOT_FOUND, 404, "No such upload of this customer (another customer's is not found either)") \
	X(OFFSET_MISMATCH, 409, "Upload-Offset is not where the upload stands (offset)") \
	X(UPLOAD_LOCKED, 409, "Another request is writing this upload; retry") \
	X(UPLOAD_EXPIRED, 410, "The upload expired or lost its reservation; it is ended, its space released") \
	X(UPLOAD_LENGTH_EXCEEDED, 413, "The data goes past Upload-Length; nothing was written") \
	/* Files and download links. */ \
	X(FILE_NOT_FOUND, 404, "No such live file of this customer (another customer's is not found either)") \
	X(LINK_INVALID, 403, "The /dl/ link is malformed or its signature does not match") \
	X(LINK_EXPIRED, 403, "The /dl/ link has expired") \
	X(LINKS_DISABLED, 503, "Download links are not configured on this server") \
	/* Engine codes the API never sends (storekey_parse()): delete by path \
	 * answers 404 FILE_NOT_FOUND instead, telling nothing of other keys. */ \
	X(FILE_PATH_FORBIDDEN, 0, "The storage key belongs to another customer") \
	X(INVALID_FILE_PATH, 0, "The storage key is malformed") \
	/* Client-side codes: raised by the packages under clients/ (and \
	 * usable by any client) when no API answer came, never sent by it. */ \
	X(NETWORK_ERROR, 0, "The service could not be reached: connection refused, reset or timed out") \
	X(TLS_ERROR, 0, "The TLS handshake or the certificate check failed") \
	X(BAD_RESPONSE, 0, "An answer came that is not the API's JSON (a proxy's page, a truncated body)") \
	X(CLIENT_ERROR, 0, "The client itself failed before or after the request") \
	X(ABORTED, 0, "The caller cancelled the request (an upload's AbortSignal)")

/* One entry of the catalogue. */
struct errcode {
	const char	*code;
	int		 status;	/* 0: never sent by the API */
	const char	*meaning;
};

/* The catalogue entry of code, or NULL when code is not in it. */
const struct errcode *errcodes_find(const char *code);

#endif
