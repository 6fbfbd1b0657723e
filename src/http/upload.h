/* upload.h - one upload from a byte range of the body file to a stored file. */
#ifndef COFFER_UPLOAD_H
#define COFFER_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "engine/identity.h"
#include "engine/quota.h"
#include "http/req.h"

/* Where the bytes are and what the client said about them (borrowed). */
struct upload_src {
	int		 fd;		/* the body file, or -1 with mem */
	const unsigned char *mem;	/* or the body in memory (NULL: in fd) */
	off_t		 offset;
	off_t		 length;
	bool		 whole_file;	/* raw PUT: the body is the object */
	const char	*category;
	const char	*subcategory;	/* NULL or "": none */
	const char	*entity_id;	/* NULL or "": none */
	const char	*original_name;	/* informational; never a path or type */
	const char	*metadata;	/* JSON object text, or NULL */
	size_t		 metadata_len;
};

/*
 * Validate, sniff, hash, write the object and record it.  On a backend
 * whose writes are short and local (store_backend.records_after_put) the
 * object is written first and recorded with the quota check in one
 * statement (removed again when refused); elsewhere quota is reserved
 * before the write and committed after it.  On any failure what was
 * reserved is released and what was written removed, so a failed upload
 * leaves nothing charged and nothing orphaned.  On ERR_OK
 * *out is the seed's upload result (caller owns it); otherwise the failure
 * is recorded with req_fail() for resp_error().
 */
enum err upload_run(struct req *r, const struct identity *id,
    const struct upload_src *src, struct json_object **out);

/*
 * Refuse, before any byte of the body is read, a body of body_len bytes
 * that cannot hold a file the customer may store: more than the smaller
 * of [storage] max_file_size and the plan's max_file_size (which /auth
 * passes as COFFER_MAX_FILE_SIZE, read with the customer's status) plus
 * overhead, the most the rest of the body may take (0 for a raw upload).
 * ERR_OK, or ERR_TOOBIG recorded with req_fail() (413 FILE_TOO_LARGE,
 * maxFileSize beside it).  The reserve statement still decides exactly.
 */
enum err upload_check_size(struct req *r, off_t body_len, off_t overhead);

/* The shared pieces of upload_run() that resumable uploads (api_tus.c)
 * finish with. */

/* A display name for name (the client's, cut on a UTF-8 boundary at 255
 * bytes, or "upload"); in r's pool or name itself. */
const char *upload_name(struct req *r, const char *name);

/*
 * Record with req_fail() why quota_reserve() refused (rc, *why and errstr
 * as it left them): 507 QUOTA_EXCEEDED and 413 FILE_TOO_LARGE with the
 * numbers, 403 for an unknown or suspended customer, 503 or 500 otherwise.
 * Returns the code to answer with.
 */
enum err upload_refused(struct req *r, enum err rc, const struct quota_refusal *why,
    const char *errstr);

/*
 * The seed's upload result for a committed file (fileId, filePath, fileUrl
 * with its expiry, fileSize, chargedSize, mimeType, fileType, originalName,
 * sha256).  A download link that cannot be made is null.  Caller owns the
 * object.
 */
struct json_object *upload_result(struct req *r, const char *customer_id,
    const char *file_id, const char *keybuf, const char *mimetype,
    const char *original_name, int64_t size, int64_t charged, const char *sha256_hex);

#endif
