/* tus_parts.h - a resumable upload's bytes sent to S3 in parts as PATCHes acknowledge them. */
#ifndef COFFER_TUS_PARTS_H
#define COFFER_TUS_PARTS_H

#include <libpq-fe.h>

#include "base/err.h"
#include "engine/tus.h"
#include "http/req.h"
#include "store/store.h"

/*
 * On a backend with multipart uploads (store.h) an upload longer than one
 * [s3] part_size goes up part by part (engine/tusparts.h has the plan and
 * the rows; docs/TUS.md the whole story).  fd is the upload's partial
 * file, locked by the caller; u its row as just read.
 */

/*
 * Bytes up to u->offset are acknowledged: send every full part due that S3
 * does not hold yet, beginning the multipart upload (under the key the
 * first bytes' type gives) when the first one is due.  Never fails the
 * request: the bytes are safe in the partial file, and a part not sent
 * now goes with a later PATCH or at completion.
 */
void tus_parts_send(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd);

/* Whether a multipart upload was begun (and is recorded) for the upload. */
int tus_parts_begun(PGconn *pg, const char *customer_id, const char *upload_id);

/*
 * Completion: send the parts still missing (the last one at least) and
 * complete the multipart upload as the object under key.  ERR_OK: the
 * object is stored.  ERR_NOTFOUND: nothing was stored this way (no
 * multipart upload was begun; or it was begun under another key or type
 * than the final sniff's, or S3 lost it: then it is aborted and
 * forgotten), so the caller stores put as before.  Else the error
 * (ERR_BACKEND: retry later; the parts sent stay) with *errstr for the log.
 */
enum err tus_parts_finish(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd, const char *key, const struct store_put *put,
    const char **errstr);

/* An upload ends without a file: abort its multipart upload, if any, and
 * forget it.  Best effort: the reconciler aborts what fails here. */
void tus_parts_abort(PGconn *pg, const char *customer_id, const char *upload_id);

#endif
