/* body.c - request bodies: files written by nginx, or small ones over FastCGI stdin. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/body.h"
#include "base/log.h"
#include "base/pool.h"

enum err
body_open(struct req *r, int *fd, off_t *len)
{
	const char *path = req_param(r, "REQUEST_BODY_FILE");
	const char *cl = req_param(r, "CONTENT_LENGTH");
	struct stat st;
	int f;

	*fd = -1;
	*len = 0;
	if (path == NULL || path[0] == '\0') {
		if (cl == NULL || cl[0] == '\0' || strcmp(cl, "0") == 0)
			return ERR_OK;
		log_errorx("a %s body arrived without REQUEST_BODY_FILE: the nginx location "
		    "needs client_body_in_file_only and fastcgi_param REQUEST_BODY_FILE", cl);
		return req_fail(r, ERR_INTERNAL, NULL, "body not in a file");
	}
	/* O_NOFOLLOW: the path comes from nginx, but a link is never a body. */
	if ((f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("opening the request body file %s", path);
		return req_fail(r, ERR_INTERNAL, NULL, "cannot read the request body");
	}
	pool_cleanup_fd(r->pool, f);
	if (fstat(f, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warn("request body file %s", path);
		return req_fail(r, ERR_INTERNAL, NULL, "cannot read the request body");
	}
	*fd = f;
	*len = st.st_size;
	return ERR_OK;
}

enum err
body_get(struct req *r, struct body *b)
{
	const char *cl = req_param(r, "CONTENT_LENGTH");
	const char *path = req_param(r, "REQUEST_BODY_FILE");
	unsigned char *buf;
	char *end;
	long long n;
	int got;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if ((path != NULL && path[0] != '\0') || cl == NULL || cl[0] == '\0')
		return body_open(r, &b->fd, &b->len);
	errno = 0;
	n = strtoll(cl, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > BODY_INLINE_MAX) {
		log_errorx("a %s-byte body arrived over FastCGI: the nginx location routes only "
		    "bodies up to %d bytes there", cl, BODY_INLINE_MAX);
		return req_fail(r, ERR_INTERNAL, NULL, "body not in a file");
	}
	if (n == 0)
		return ERR_OK;
	buf = pool_alloc(r->pool, (size_t)n);
	got = FCGX_GetStr((char *)buf, (int)n, r->fcgx->in);
	if (got != (int)n)
		return req_fail(r, ERR_BADREQ, "BODY_INCOMPLETE", "The request body ended early");
	b->mem = buf;
	b->len = (off_t)n;
	return ERR_OK;
}

enum err
body_read_small(struct req *r, size_t max, char **out, size_t *outlen)
{
	off_t len, done = 0;
	ssize_t n;
	enum err rc;
	char *buf;
	int fd;

	if ((rc = body_open(r, &fd, &len)) != ERR_OK)
		return rc;
	if (fd == -1 || len == 0)
		return req_fail(r, ERR_BADREQ, "BODY_REQUIRED", "A JSON request body is required");
	if ((size_t)len > max)
		return req_fail(r, ERR_TOOBIG, "BODY_TOO_LARGE",
		    "The request body is larger than %zu bytes", max);
	buf = pool_alloc(r->pool, (size_t)len + 1);
	while (done < len) {
		n = pread(fd, buf + done, (size_t)(len - done), done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return req_fail(r, ERR_INTERNAL, NULL, "cannot read the request body");
		done += n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = (size_t)len;
	return ERR_OK;
}
