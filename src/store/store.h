/* store.h - the storage backend interface: a table of functions per backend. */
#ifndef COFFER_STORE_H
#define COFFER_STORE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/conf.h"
#include "base/err.h"

/* What a put needs besides the bytes; every string is borrowed. */
struct store_put {
	int		 fd;		/* the request body file */
	off_t		 offset;	/* the object's byte range within it */
	off_t		 length;
	const void	*buf;		/* or the bytes in memory (length of them),
					 * fd unused; only for a backend that
					 * sets puts_memory */
	int		 whole_file;	/* the range is the whole file: link it */
	const char	*content_type;	/* sniffed, never the client's */
	const char	*md5_base64;	/* Content-MD5; NULL unless wants_md5 */
	const char	*sha256_hex;
	/* Who uploaded is the database's to know: objects carry no identity
	 * (a presigned link shows every x-amz-meta-* header to its holder). */
	const char	*original_name;	/* object metadata (S3) */
};

/* Response overrides a presigned download carries; strings borrowed. */
struct store_presign {
	const char	*content_type;		/* NULL: the object's own */
	const char	*content_disposition;	/* NULL: none */
};

struct store_stat {
	int64_t		 size;
	time_t		 mtime;
};

/* Called per object by list(); return non-zero to stop. */
typedef int (*store_list_cb)(void *arg, const char *key, int64_t size, time_t mtime);

/* A part of a multipart upload, as upload_part() answered it. */
struct store_part {
	int		 number;	/* 1..10000 */
	char		 etag[80];	/* with S3's quotes */
	int64_t		 size;
};

#define STORE_UPLOAD_ID_MAX	512

/* Called per multipart upload in progress by list_uploads(); return
 * non-zero to stop. */
typedef int (*store_upload_cb)(void *arg, const char *key, const char *upload_id,
    time_t initiated);

/*
 * A backend, looked up by name ("local", "s3").  Every function returns
 * ERR_OK, ERR_NOTFOUND (head, get), ERR_BACKEND (unreachable or refused;
 * retryable) or ERR_SYS/ERR_INTERNAL; *errstr, when set, is a static or
 * handle-owned message for the log, never for clients.
 */
struct store_backend {
	const char	*name;
	/* The backend sends Content-MD5 (S3): only then is MD5 computed. */
	int		 wants_md5;
	/* put() takes store_put.buf.  Otherwise callers with the bytes in
	 * memory hand them over as a file. */
	int		 puts_memory;
	/* Writing an object is short and local (a file, not a network
	 * transfer): uploads write it first and record it in one statement
	 * afterwards, instead of reserving quota around the write. */
	int		 records_after_put;
	/* Per worker, after fork.  Returns a handle owned by the caller. */
	void		*(*open)(const struct conf *conf, const char **errstr);
	void		 (*close)(void *h);
	/* Write the object atomically: it is complete under key, or absent. */
	enum err	 (*put)(void *h, const char *key, const struct store_put *p,
			    const char **errstr);
	enum err	 (*head)(void *h, const char *key, struct store_stat *st,
			    const char **errstr);
	/* Idempotent: a missing object is ERR_OK. */
	enum err	 (*del)(void *h, const char *key, const char **errstr);
	/* Every object whose key starts with prefix. */
	enum err	 (*list)(void *h, const char *prefix, store_list_cb cb, void *arg,
			    const char **errstr);
	/* Reachable and writable (readiness). */
	enum err	 (*ping)(void *h, const char **errstr);
	/*
	 * Optional (NULL: the backend has no URLs of its own; the API then
	 * serves downloads itself).  Write into url (urllen bytes, always
	 * NUL-terminated on ERR_OK) a GET URL for key that the backend honours
	 * until expires_epoch (seconds since the epoch, absolute).  o may be
	 * NULL; its overrides, when not NULL, make the download carry exactly
	 * that Content-Type / Content-Disposition.  They must be printable ASCII
	 * (RFC 6266 with a percent-encoded filename*), else ERR_INTERNAL.
	 * ERR_INTERNAL also when url is too small.  No request is made: the URL
	 * is only signed.
	 */
	enum err	 (*presign)(void *h, const char *key, int64_t expires_epoch,
			    const struct store_presign *o, char *url, size_t urllen,
			    const char **errstr);
	/*
	 * Optional multipart uploads, all five or none (NULL: resumable
	 * uploads are assembled locally and stored by put() at the end;
	 * docs/TUS.md).  An upload lives between begin and complete or abort
	 * under the final key; every part but the last is at least 5 MiB.
	 * begin: start one with p's content_type and original_name (its
	 * bytes unused), its id into upload_id (STORE_UPLOAD_ID_MAX bytes).
	 * upload_part: [off, off+len) of fd as part number, checked by S3
	 * (Content-MD5), its ETag into *part.  complete: the object is the
	 * parts, in number order.  abort: the parts go; idempotent.
	 * upload_part, complete and abort say ERR_NOTFOUND when the upload
	 * is gone (NoSuchUpload).  list_uploads: those in progress under
	 * prefix.
	 */
	enum err	 (*begin_upload)(void *h, const char *key, const struct store_put *p,
			    char *upload_id, const char **errstr);
	enum err	 (*upload_part)(void *h, const char *key, const char *upload_id,
			    int number, int fd, off_t off, off_t len, struct store_part *part,
			    const char **errstr);
	enum err	 (*complete_upload)(void *h, const char *key, const char *upload_id,
			    const struct store_part *parts, int nparts, const char **errstr);
	enum err	 (*abort_upload)(void *h, const char *key, const char *upload_id,
			    const char **errstr);
	enum err	 (*list_uploads)(void *h, const char *prefix, store_upload_cb cb,
			    void *arg, const char **errstr);
};

extern const struct store_backend store_local_backend;
extern const struct store_backend store_s3_backend;	/* [s3] signature = v2: libs3 */
extern const struct store_backend store_s3v4_backend;	/* [s3] signature = v4: libcurl */

/*
 * Copy [offset, offset+length) of file in to file out at out's current
 * position, in the kernel where it can (copy_file_range), else by
 * read/write.  0, or -1 with errno (EIO: in is shorter than announced;
 * ENOSPC: the disk is full).  Also used for partial uploads (partial.c).
 */
int store_copy_range(int in, off_t offset, off_t length, int out);

/* write(2) until len bytes are written: a short write is retried, so a
 * full disk ends in -1 with errno ENOSPC rather than in a silent
 * truncation.  0, or -1 with errno. */
int store_write_all(int fd, const void *data, size_t len);

/* A failed syscall (errno) as the interface says it: a full disk or
 * quota, a read-only or failing disk is the backend refusing (ERR_BACKEND,
 * retryable later), anything else ERR_SYS; *errstr = what. */
enum err store_errno(const char **errstr, const char *what);

/* The backend for conf->storage_type (and, for s3, [s3] signature), or NULL
 * if it is not compiled in. */
const struct store_backend *store_lookup(const struct conf *conf);

/*
 * inner wrapped so that every call is timed and counted in the metrics
 * (coffer_backend_*); same contract, same name, presign NULL when inner's
 * is.  Handles it opens hold inner's.  One wrapped backend per process
 * (the table is static, rewritten by each call); NULL for NULL.
 */
const struct store_backend *store_metered(const struct store_backend *inner);

#endif
