/* body.h - the request body: a temp file nginx wrote for us, or a small body passed in memory. */
#ifndef COFFER_BODY_H
#define COFFER_BODY_H

#include <sys/types.h>

#include "http/req.h"

/*
 * Open the body nginx buffered to disk (FastCGI param REQUEST_BODY_FILE,
 * from $request_body_file with client_body_in_file_only).  *fd is closed
 * when the request pool is freed; *len is the file's size.  A request
 * without a body gives *fd = -1 and *len = 0.  ERR_INTERNAL (logged) when
 * the body did not come as a file: the nginx location is misconfigured.
 */
enum err body_open(struct req *r, int *fd, off_t *len);

/* Bodies a location may pass over FastCGI instead of as a file: nginx's
 * site template routes only smaller ones there (coffer-site.conf.in). */
#define BODY_INLINE_MAX	(1024 * 1024)

/* A request body: in a file (fd >= 0), in memory (mem), or absent (len 0). */
struct body {
	int			 fd;
	const unsigned char	*mem;
	off_t			 len;
};

/*
 * The body wherever nginx put it: the file of REQUEST_BODY_FILE (as
 * body_open()), else the FastCGI stream read into the request pool when
 * CONTENT_LENGTH is at most BODY_INLINE_MAX (a larger one there is a
 * misconfigured location: ERR_INTERNAL, logged).  A short stream (the
 * client went away) is ERR_BADREQ.
 */
enum err body_get(struct req *r, struct body *b);

/*
 * Read a small body (JSON) into the request pool, NUL-terminated; longer
 * than max is ERR_TOOBIG, none at all ERR_BADREQ.
 */
enum err body_read_small(struct req *r, size_t max, char **out, size_t *outlen);

#endif
