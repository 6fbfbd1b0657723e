/* tusparts.h - the S3 multipart upload behind a resumable upload: its plan of parts and its rows. */
#ifndef COFFER_TUSPARTS_H
#define COFFER_TUSPARTS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/tus.h"
#include "store/store.h"

/*
 * On a backend with multipart uploads (store.h), a resumable upload longer
 * than one part sends each full part of part_size bytes as soon as its
 * bytes are acknowledged; the last part (the tail, or the last full part)
 * goes at completion.  Part n covers [(n-1)*part_size, n*part_size).  The
 * rows (sql/010_tus_s3_parts.sql) say under which key and id the
 * multipart upload was begun and which parts S3 holds, so that any worker
 * continues it.  Conventions (connections, errstr, ERR_DB) as in quota.h.
 */

/* ---- the plan (pure) ---- */

/* Whether an upload of length bytes goes up in parts of part_size. */
bool tusparts_wanted(int64_t length, int64_t part_size);

/* The number of parts of an upload of length bytes (0 for length <= 0). */
int tusparts_count(int64_t length, int64_t part_size);

/*
 * How many parts, from the first, a PATCH may send once offset bytes are
 * acknowledged: the full parts, never the last one (completion sends it).
 */
int tusparts_due(int64_t length, int64_t part_size, int64_t offset);

/* Part n's byte range (n in 1..tusparts_count()). */
void tusparts_range(int64_t length, int64_t part_size, int n, int64_t *off, int64_t *len);

/* ---- the rows ---- */

/* The multipart upload of one resumable upload, as tusparts_get() reads it. */
struct tusparts {
	char			 upload_id[STORE_UPLOAD_ID_MAX];
	char			 key[TUS_KEY_MAX];
	char			 mime_type[TUS_TEXT_MAX];
	int64_t			 part_size;
	struct store_part	*parts;		/* by number; caller frees */
	int			 nparts;
};

/*
 * Read the multipart upload of an upload and its parts (in number order):
 * ERR_NOTFOUND if none was begun (or the upload is gone).  On ERR_OK the
 * caller frees out->parts.
 */
enum err tusparts_get(PGconn *pg, const char *customer_id, const char *id,
    struct tusparts *out, const char **errstr);

/*
 * Record that a multipart upload was begun for an upload still receiving
 * bytes.  ERR_CONFLICT if the upload has one already, or is gone, expired
 * or completed (the caller then aborts the one it began).
 */
enum err tusparts_begin(PGconn *pg, const char *customer_id, const char *id,
    const char *upload_id, const char *key, const char *mime_type, int64_t part_size,
    const char **errstr);

/*
 * Record a part S3 acknowledged (a part sent again replaces its row).
 * ERR_NOTFOUND unless the upload's multipart upload is still upload_id.
 */
enum err tusparts_add(PGconn *pg, const char *customer_id, const char *id,
    const char *upload_id, const struct store_part *part, const char **errstr);

/* Forget the multipart upload (completed or aborted) and its parts. */
enum err tusparts_forget(PGconn *pg, const char *customer_id, const char *id,
    const char **errstr);

/*
 * For the reconciler: 1 if a multipart upload in progress under key is
 * ours to keep (a resumable upload records upload_id, or a plain upload
 * reserved under key is sending its parts), 0 if it is an orphan, -1 if
 * the database cannot tell.
 */
int tusparts_known(PGconn *pg, const char *key, const char *upload_id);

#endif
