/* quota.h - the atomic quota engine: reserve, commit, release, delete, report, recalculate. */
#ifndef COFFER_QUOTA_H
#define COFFER_QUOTA_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * Every function takes the connection to run on (a worker's db_conn(),
 * cofferctl's ctl_db()) and runs one round trip per step unless its comment
 * says otherwise.  Every statement filters by customer_id: a file id or key
 * of another customer is ERR_NOTFOUND.  Identifiers are UUIDs as text; a
 * malformed one is ERR_BADREQ.  errstr, if not NULL, receives a message for
 * people (static, or valid until the next db_* call).  ERR_DB means
 * PostgreSQL is unavailable (answer 503, retry later); the connection is then
 * reopened by db_conn() on the next request.
 */

#define QUOTA_ID_LEN	37	/* a UUID in text form, with its NUL */
#define QUOTA_FMT_LEN	32	/* room for any quota_format_bytes() result */

/* A limit as operators give it: bytes, unlimited, or "whatever the plan says". */
enum quota_limit_kind { QUOTA_LIMIT_BYTES = 0, QUOTA_LIMIT_UNLIMITED, QUOTA_LIMIT_PLAN };

struct quota_limit {
	enum quota_limit_kind	 kind;
	int64_t			 bytes;		/* QUOTA_LIMIT_BYTES only */
};

/* What an upload is: all strings borrowed for the call. */
struct quota_upload {
	const char	*customer_id;
	const char	*storage_key;	/* customers/{id}/...; unique per customer */
	const char	*category;
	const char	*subcategory;	/* NULL: none */
	const char	*entity_id;	/* NULL: none */
	const char	*original_name;
	const char	*mime_type;	/* sniffed, never the client's */
	const char	*file_type;	/* document, image, video, audio, other */
	int64_t		 size;
	int64_t		 charged;	/* quota_charge(); 0: the bare size */
	const char	*uploaded_by;	/* user id; NULL: unknown */
	const char	*metadata_json;	/* a JSON document, or NULL */
	const char	*sha256;	/* hex digest of the content, or NULL */
};

/* Why a reservation was refused (filled on ERR_QUOTA and ERR_TOOBIG). */
struct quota_refusal {
	int64_t		 used;
	int64_t		 reserved;
	int64_t		 limit;		/* meaningless when unlimited */
	bool		 unlimited;
	int64_t		 needed;	/* the upload's charged size */
	int64_t		 max_file_size;
	int64_t		 files;		/* stored and pending */
	int64_t		 max_files;	/* 0: no limit */
	bool		 too_many_files;	/* ERR_QUOTA for the count, not bytes */
};

/* A customer's quota as reported by GET /api/storage/quota. */
struct quota_info {
	int64_t		 used;
	int64_t		 reserved;
	int64_t		 limit;		/* meaningless when unlimited */
	bool		 unlimited;
	int64_t		 available;	/* limit - used - reserved, >= 0; 0 when unlimited */
	double		 percentage;	/* used / limit * 100, 2 decimals; 0 when unlimited */
	int64_t		 max_file_size;
	int64_t		 files;		/* stored and pending */
	int64_t		 max_files;	/* the plan's; 0: no limit */
	char		 plan[40];
	char		 status[16];	/* active, suspended */
};

/* What a delete removed; the caller then removes the object. */
struct quota_deleted {
	char		 file_id[QUOTA_ID_LEN];
	char		*storage_key;	/* caller frees; NULL unless ERR_OK */
	int64_t		 size;
};

/* Recalculation result; drift = before - after (positive: was too high). */
struct quota_drift {
	int64_t		 used_before, used_after;
	int64_t		 reserved_before, reserved_after;
	int		 rows_changed;	/* breakdown rows whose count or size changed */
	struct json_object *detail;	/* the full report (see coffer_recalculate()); caller puts */
};

/*
 * What a file of size bytes with metadata_len bytes of metadata costs the
 * customer's quota, the charged size: the size rounded up to a multiple
 * of block (a filesystem block and inode per object: 5 bytes take 4 KiB
 * on disk) plus the metadata (stored in the database beside the row).
 * block 1 and metadata_len 0 charge the bare size.  The one place the rule
 * lives: callers pass its result to the statements that record the upload
 * (struct quota_upload's charged), which store it in the file row, so
 * delete, release, recalculation and the breakdown use the same number.
 * Saturates at INT64_MAX rather than overflow.
 */
int64_t quota_charge(int64_t size, size_t metadata_len, int64_t block);

/*
 * Reserve room for an upload and create its 'pending' file row, atomically,
 * in one statement: the customer's counters move only if the customer is
 * active, size <= the plan's max_file_size and used + reserved + charged
 * stays within the limit, under any concurrency (reserved += charged).  On ERR_OK, file_id holds the new
 * row's id.  Errors: ERR_QUOTA or ERR_TOOBIG (with *why filled, one more
 * round trip), ERR_NOTFOUND (no such customer), ERR_FORBIDDEN (suspended),
 * ERR_CONFLICT (storage key already used), ERR_BADREQ (negative size,
 * malformed id or metadata), ERR_DB.  why may be NULL.
 */
enum err quota_reserve(PGconn *pg, const struct quota_upload *up,
    char file_id[QUOTA_ID_LEN], struct quota_refusal *why, const char **errstr);

/*
 * Why a reservation or record for size bytes was refused, read after the
 * fact (one round trip): ERR_FORBIDDEN (suspended), ERR_TOOBIG (over the
 * plan's max_file_size), else ERR_QUOTA; ERR_NOTFOUND for an unknown
 * customer, ERR_DB.  *why (may be NULL) gets today's figures.
 */
enum err quota_refused(PGconn *pg, const char *customer_id, int64_t size, int64_t charged,
    struct quota_refusal *why, const char **errstr);

/*
 * NOTIFY coffer_events with notes (a text[] literal: the NOTIFY payloads a
 * statement returned for the events it wrote), in a transaction of its
 * own: call it once those events have committed (sql/011 says why not
 * before).  NULL: nothing to announce.  A failure is logged, not
 * returned: the events are in the outbox whether or not anyone was woken
 * up.
 */
void quota_announce(PGconn *pg, const char *notes);

/* Column col of res's first row, or NULL when SQL NULL or absent. */
const char *quota_notes(const PGresult *res, int col);

/*
 * The one-statement upload (the object is already written and durable
 * under up->storage_key): if the customer is active, size <= the plan's
 * max_file_size and used + reserved + charged stays within the limit,
 * insert the file row as 'stored', used += charged, breakdown += charged, audit
 * 'upload' and the outbox events, in one statement and one commit.
 * Errors as quota_reserve(); on any error nothing was recorded and the
 * caller removes the object (a crash in between leaves an orphan object,
 * which the reconciler removes after its grace period).
 */
enum err quota_record(PGconn *pg, const struct quota_upload *up,
    char file_id[QUOTA_ID_LEN], struct quota_refusal *why, const char **errstr);

/*
 * The object is written: pending -> stored, reserved -= size, used += size,
 * breakdown row (file type, category, subcategory) += size, audit 'upload' by actor
 * (NULL: the uploader), all in one statement.  Committing a file that is
 * already stored (the reconciler settled it first) is ERR_OK; anything else
 * not pending is ERR_NOTFOUND.
 */
enum err quota_commit(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, const char **errstr);

/*
 * The object could not be written: the pending row is removed and its
 * reservation released (audit 'release').  ERR_NOTFOUND if it is not
 * pending (already settled).  The caller removes any partial object.
 */
enum err quota_release(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, const char **errstr);

/*
 * Delete a stored file by id (or by storage key): stored -> deleted,
 * used -= size, its OWN breakdown row -= size, audit 'delete' with actor and
 * size, in one statement.  A second delete changes nothing and is
 * ERR_NOTFOUND.  On ERR_OK *out tells which object to remove (then call
 * quota_object_removed()); the caller frees out->storage_key.  Deletes are
 * allowed over the limit.
 */
enum err quota_delete(PGconn *pg, const char *customer_id, const char *file_id,
    const char *actor, struct quota_deleted *out, const char **errstr);
enum err quota_delete_key(PGconn *pg, const char *customer_id, const char *storage_key,
    const char *actor, struct quota_deleted *out, const char **errstr);

/* Record that a deleted file's object is gone from the backend, so the
 * reconciler stops retrying; ERR_NOTFOUND unless deleted and still owed. */
enum err quota_object_removed(PGconn *pg, const char *customer_id, const char *file_id,
    const char **errstr);

/* The customer's quota; ERR_NOTFOUND for an unknown customer. */
enum err quota_get(PGconn *pg, const char *customer_id, struct quota_info *q,
    const char **errstr);

/*
 * q as the seed's quota JSON: used, limit (null when unlimited), available
 * (null when unlimited), percentage, reserved, canUpload, unlimited, plan,
 * status and usedFormatted, limitFormatted, availableFormatted,
 * reservedFormatted ("Unlimited" when unlimited).  Caller owns the object.
 */
struct json_object *quota_info_json(const struct quota_info *q);

/*
 * The seed's getStorageStats in one statement: {quota, breakdown:
 * [{fileType, category (the seed's subcategory || category), parentCategory
 * (the top category), fileCount, totalSize, totalSizeFormatted, percentage
 * of used (0 when used is 0)}], recentUploads: the 10 newest stored files
 * [{fileId, fileName, filePath, fileSize, fileSizeFormatted, fileType,
 * category, subcategory (null when none), mimeType, uploadedAt,
 * uploadedBy}]}.  On ERR_OK the
 * caller owns *out; otherwise *out is NULL.
 */
enum err quota_stats(PGconn *pg, const char *customer_id, struct json_object **out,
    const char **errstr);

/*
 * Recompute used, reserved and the breakdown of one customer from its files
 * (stored files only count; deleted never do), report the drift and audit
 * 'recalculate' with actor and drift; one round trip.  On ERR_OK the caller
 * owns d->detail (json_object_put).  ERR_NOTFOUND for an unknown customer.
 */
enum err quota_recalculate(PGconn *pg, const char *customer_id, const char *actor,
    struct quota_drift *d, const char **errstr);

/* Called for each customer by quota_recalculate_all(); non-zero stops. */
typedef int (*quota_recalc_cb)(void *arg, const char *customer_id, enum err rc,
    const struct quota_drift *d, const char *errstr);

/* Recalculate every customer, one transaction each, reporting each to cb
 * (d->detail is put after cb returns).  ERR_OK unless listing failed or
 * any customer failed (then the first failure's code). */
enum err quota_recalculate_all(PGconn *pg, const char *actor, quota_recalc_cb cb,
    void *arg, const char **errstr);

/* A pending row as the reconciler sees it; strings valid during the call. */
struct quota_pending {
	const char	*customer_id;
	const char	*file_id;
	const char	*storage_key;
	int64_t		 size;
};

/*
 * The reconciler's judge of an abandoned upload: 1 if the object under
 * p->storage_key is complete (p->size bytes), 0 if it is missing or short,
 * -1 if it cannot tell now (backend down: leave the row pending).
 */
typedef int (*quota_exists_fn)(void *arg, const struct quota_pending *p);

/* Told, after its batch committed, what became of a row: committed (true)
 * or released (false). */
typedef void (*quota_settled_fn)(void *arg, const struct quota_pending *p, bool committed);

struct quota_settled {
	int		 committed;
	int		 released;
	int		 skipped;	/* exists() said -1 */
};

/*
 * Settle every pending row older than older_than_s seconds (of one
 * customer, or of all when customer_id is NULL), oldest first, in
 * transactions of at most max rows: commit those whose object is complete,
 * release the others, leave those exists() cannot judge.  Each batch holds
 * its rows with FOR UPDATE SKIP LOCKED, so two reconcilers (or a late
 * worker commit) never settle the same row twice.  settled (may be NULL)
 * hears of each row settled once its batch committed.  A failed batch
 * rolls back whole and ends the call; out counts what earlier batches did.
 */
enum err quota_settle_pending(PGconn *pg, const char *customer_id, int64_t older_than_s,
    int max, quota_exists_fn exists, quota_settled_fn settled, void *arg,
    const char *actor, struct quota_settled *out, const char **errstr);

/*
 * Parse an operator's limit: a size with units (conf_parse_size(): 5GiB,
 * 500MB, 1048576), "unlimited", or, if allow_plan, "plan".  0 or -1.
 */
int quota_parse_limit(const char *s, bool allow_plan, struct quota_limit *out);

/*
 * bytes for people, the one display convention of the CLI, the API's
 * *Formatted fields and the dashboard (docs/API.md, "Sizes"): the seed's
 * formatBytes() arithmetic (k = 1024, two decimals with trailing zeros
 * dropped, parseFloat(x.toFixed(2)), ties rounded up like toFixed) with IEC
 * unit names, so that what is shown reads back as the same size where an
 * operator types one (conf_parse_size(): "GiB" is 1024^3, "GB" 1000^3):
 * "0 Bytes", "1.5 MiB", "5 GiB"; larger sizes stay in TiB.  Negative sizes
 * format as "0 Bytes".  Writes into buf (QUOTA_FMT_LEN is always enough)
 * and returns buf.
 */
char *quota_format_bytes(int64_t bytes, char *buf, size_t len);

#endif
