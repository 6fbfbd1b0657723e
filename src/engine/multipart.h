/* multipart.h - streaming multipart/form-data parser over a body file (RFC 7578, RFC 2046). */
#ifndef COFFER_MULTIPART_H
#define COFFER_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

struct pool;

/*
 * Why a parse failed.  Zero is success, like enum err; each value is one
 * thing a client got wrong (or MP_ERR_IO, which is ours), so the API can
 * answer 400 with a precise code (multipart_code()) and map the rest with
 * multipart_err().
 */
enum mp_err {
	MP_OK = 0,
	MP_ERR_CONTENT_TYPE,	/* request Content-Type is not multipart/form-data */
	MP_ERR_BOUNDARY,	/* boundary parameter missing, empty, > 70 or bad chars */
	MP_ERR_SYNTAX,		/* bad delimiter line, header line or Content-Disposition */
	MP_ERR_TRUNCATED,	/* body ended before the closing delimiter */
	MP_ERR_TOO_MANY_PARTS,
	MP_ERR_HEADER_TOO_LARGE,	/* one part's header block over the limit */
	MP_ERR_FIELD_TOO_LARGE,		/* a non-file part's value over the limit */
	MP_ERR_NAME_TOO_LONG,		/* a part's name over the limit */
	MP_ERR_FILENAME,	/* filename not valid UTF-8 or holds control chars */
	MP_ERR_DUPLICATE_FILE,	/* two parts named "file" */
	MP_ERR_DUPLICATE_FIELD,	/* two parts with the same (other) name */
	MP_ERR_IO,		/* reading the body file failed or it is short */
	MP_ERR__COUNT
};

/* Caps on what a client controls; memory use is bounded by them. */
struct multipart_limits {
	size_t	max_header_bytes;	/* per part, header lines incl. CRLFs (8 KiB) */
	size_t	max_parts;		/* parts of any kind (16) */
	size_t	max_field_bytes;	/* value of each non-file part (64 KiB) */
	size_t	max_name_bytes;		/* a part's name (64) */
	size_t	buffer_size;		/* scan window; 0 for 64 KiB.  Raised as
					 * needed to hold a header block and a
					 * delimiter; tests and fuzzers shrink
					 * it to move delimiters across edges. */
};

/* A non-file part, copied into the pool.  value is NUL-terminated for
 * convenience but may hold NULs itself: len is authoritative. */
struct multipart_field {
	const char	*name;
	const char	*value;
	size_t		 len;
	bool		 has_nul;	/* value is not usable as a C string */
};

/* The part named "file": never copied, only located within the body. */
struct multipart_file {
	const char	*filename;	/* UTF-8 as sent (filename* preferred); NULL if absent */
	const char	*content_type;	/* as sent, informational, never trusted; NULL if absent */
	off_t		 offset;	/* first byte of the content in the body file */
	off_t		 length;	/* may be 0 */
};

struct multipart_result {
	struct multipart_field	*fields;	/* nfields entries, in body order */
	size_t			 nfields;
	bool			 has_file;
	struct multipart_file	 file;
};

/* Fill lim with the defaults given in struct multipart_limits. */
void multipart_limits_default(struct multipart_limits *lim);

/*
 * The most bytes a body within lim may spend besides the file's own: every
 * part's header block, delimiter and (but the file's) value.  A body
 * longer than a file may be plus this holds a file too large, or bytes no
 * form needs (a preamble, an epilogue), and may be refused unread.
 */
off_t multipart_overhead_max(const struct multipart_limits *lim);

/*
 * Parse the body_len bytes of fd (read with pread from offset 0, so the
 * file offset is neither used nor moved) as multipart/form-data framed by
 * the boundary of content_type (the request's Content-Type value).  lim
 * may be NULL for the defaults.  Memory used is a fixed window plus what
 * lim allows for headers and fields, whatever body_len is.
 *
 * On MP_OK *out holds every part; names, values and file strings are
 * allocated from pool and live as long as it.  On failure *out is
 * emptied and *errstr (if errstr is not NULL) points to a sentence for
 * people, also in pool or static.  The preamble and epilogue are ignored.
 */
enum mp_err multipart_parse_fd(int fd, off_t body_len, const char *content_type,
    const struct multipart_limits *lim, struct pool *pool,
    struct multipart_result *out, const char **errstr);

/* The same over a memory buffer (unit tests, fuzzers); the same code path. */
enum mp_err multipart_parse_mem(const void *body, size_t body_len, const char *content_type,
    const struct multipart_limits *lim, struct pool *pool,
    struct multipart_result *out, const char **errstr);

/* The first field named name, or NULL.  Points into res. */
const struct multipart_field *multipart_field_get(const struct multipart_result *res,
    const char *name);

/* Static strings for rc: a phrase for people, a machine code for the API
 * ("MULTIPART_TRUNCATED", ...), and the daemon error it maps to
 * (ERR_SYS for MP_ERR_IO, ERR_BADREQ for every client error). */
const char *multipart_strerror(enum mp_err rc);
const char *multipart_code(enum mp_err rc);
enum err multipart_err(enum mp_err rc);

#endif
