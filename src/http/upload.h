/* upload.h - one upload from a byte range of the body file to a stored file. */
#ifndef COFFER_UPLOAD_H
#define COFFER_UPLOAD_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "engine/identity.h"
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

#endif
