/* body.h - the request body, which nginx wrote to a temp file for us. */
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

/*
 * Read a small body (JSON) into the request pool, NUL-terminated; longer
 * than max is ERR_TOOBIG, none at all ERR_BADREQ.
 */
enum err body_read_small(struct req *r, size_t max, char **out, size_t *outlen);

#endif
