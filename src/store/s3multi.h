/* s3multi.h - S3 multipart uploads over Signature V4: begin, parts, complete, abort, list. */
#ifndef COFFER_S3MULTI_H
#define COFFER_S3MULTI_H

#include <sys/types.h>

#include "base/err.h"
#include "store/store.h"

#define S3MULTI_PARTS_MAX	10000	/* AWS's limit */

/*
 * The multipart functions of struct store_backend (store.h has their
 * contract) for the V4 backend; h is its handle (struct s3req).  Used by
 * its put() above [s3] multipart_threshold and by resumable uploads
 * (docs/TUS.md).  S3's NoSuchUpload is ERR_NOTFOUND.
 */
enum err s3multi_begin(void *h, const char *key, const struct store_put *p,
    char *upload_id, const char **errstr);
enum err s3multi_part(void *h, const char *key, const char *upload_id, int number, int fd,
    off_t off, off_t len, struct store_part *part, const char **errstr);
enum err s3multi_complete(void *h, const char *key, const char *upload_id,
    const struct store_part *parts, int nparts, const char **errstr);
enum err s3multi_abort(void *h, const char *key, const char *upload_id, const char **errstr);
enum err s3multi_list(void *h, const char *prefix, store_upload_cb cb, void *arg,
    const char **errstr);

/*
 * The CompleteMultipartUpload body for parts (in the order given), or NULL
 * when a part's number or ETag cannot be in it.  Caller frees.
 */
char *s3multi_complete_xml(const struct store_part *parts, int nparts);

#endif
