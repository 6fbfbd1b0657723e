/* tus.h - resumable uploads (tus 1.0): their rows, offsets and expiry; quota through quota.h. */
#ifndef COFFER_TUS_H
#define COFFER_TUS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/quota.h"

/*
 * An upload is a tus_uploads row (sql/009_tus_uploads.sql) plus the
 * 'pending' files row of the same id that holds its quota reservation,
 * made by quota_reserve() at creation and settled by quota_commit() or
 * quota_release() like any other upload.  Every statement filters by
 * customer_id: another customer's upload is ERR_NOTFOUND.  Conventions
 * (connections, errstr, ERR_DB) as in quota.h.
 */

#define TUS_KEY_MAX	512
#define TUS_NAME_MAX	1024
#define TUS_TEXT_MAX	128

/* One upload as tus_get() reads it; strings are copies. */
struct tus_upload {
	char		 id[QUOTA_ID_LEN];
	int64_t		 length;
	int64_t		 offset;	/* bytes acknowledged */
	int64_t		 expires_at;	/* seconds since the epoch */
	bool		 expired;
	bool		 completed;	/* its file is stored */
	/* The files row: "pending" (reserved), "stored", or "" when it is
	 * gone (released by the reconciler) or "deleted". */
	char		 state[16];
	char		 storage_key[TUS_KEY_MAX];
	char		 original_name[TUS_NAME_MAX];
	char		 mime_type[TUS_TEXT_MAX];
	bool		 finalized;	/* key, type and digest are the final ones */
	int64_t		 charged;	/* its charged size (quota_charge) */
};

/*
 * Reserve up->size for a new upload (quota_reserve(): the same atomic
 * statement, refusals and *why as a plain upload), then record the upload,
 * expiring expires_s seconds from now.  On ERR_OK id holds its id (that
 * of its files row).  If recording fails the reservation is released.
 */
enum err tus_create(PGconn *pg, const struct quota_upload *up, int64_t expires_s,
    char id[QUOTA_ID_LEN], struct quota_refusal *why, const char **errstr);

/* Read one upload; ERR_NOTFOUND if the customer has none with this id. */
enum err tus_get(PGconn *pg, const char *customer_id, const char *id,
    struct tus_upload *out, const char **errstr);

/*
 * Acknowledge bytes: the offset moves from `from` to `to` only if it is
 * still `from` and the upload is neither expired nor completed; else
 * ERR_CONFLICT (read it again to tell why).
 */
enum err tus_advance(PGconn *pg, const char *customer_id, const char *id, int64_t from,
    int64_t to, const char **errstr);

/*
 * Give the pending files row its final storage key, sniffed type, file
 * type and SHA-256 before the object is written, so that the reconciler
 * judges the right object after a crash.  ERR_NOTFOUND unless pending.
 */
enum err tus_finalize(PGconn *pg, const char *customer_id, const char *id,
    const char *storage_key, const char *mime_type, const char *file_type,
    const char *sha256, const char **errstr);

/* The file is stored (quota_commit() done): mark the upload completed. */
enum err tus_complete(PGconn *pg, const char *customer_id, const char *id,
    const char **errstr);

/*
 * End an upload: release its reservation if still pending (audit
 * 'release' by actor) and forget it.  Idempotent: ERR_OK if it was
 * already gone.  The caller removes the partial file.
 */
enum err tus_drop(PGconn *pg, const char *customer_id, const char *id, const char *actor,
    const char **errstr);

/* Called by tus_expire() for each upload it dropped (partial to remove),
 * with the key and id of its S3 multipart upload to abort ("" if none:
 * sql/010_tus_s3_parts.sql). */
typedef void (*tus_dropped_fn)(void *arg, const char *customer_id, const char *id,
    bool completed, const char *s3_key, const char *s3_upload_id);

/*
 * The reconciler's sweep: drop every expired upload (of one customer, or
 * of all when customer_id is NULL), telling dropped() of each; with
 * dry_run only tell.  *n counts them.
 */
enum err tus_expire(PGconn *pg, const char *customer_id, bool dry_run, const char *actor,
    tus_dropped_fn dropped, void *arg, int64_t *n, const char **errstr);

/*
 * For the reconciler's judge of pending rows: 1 if file_id is an upload
 * still receiving bytes (its object cannot exist yet; tus_expire() ends
 * it when it expires), 0 if not, -1 if the database cannot tell.
 */
int tus_receiving(PGconn *pg, const char *customer_id, const char *file_id);

#endif
