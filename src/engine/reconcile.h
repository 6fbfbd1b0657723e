/* reconcile.h - putting the database and the storage backend back in agreement. */
#ifndef COFFER_RECONCILE_H
#define COFFER_RECONCILE_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct store_backend;

/* Exit statuses of `cofferctl reconcile` (docs/OPERATIONS.md). */
#define RECONCILE_CLEAN		0	/* nothing was wrong */
#define RECONCILE_ERROR		1	/* a step failed: the run is incomplete */
#define RECONCILE_REPAIRED	3	/* something was repaired (--dry-run: found) */
#define RECONCILE_DAMAGED	4	/* stored files without their object: needs people */

struct reconcile_opts {
	const char	*customer_id;		/* canonical UUID; NULL: everyone */
	bool		 dry_run;		/* judge and report, change nothing */
	int64_t		 pending_timeout_s;	/* in-flight state older than this is abandoned */
	int64_t		 orphan_grace_s;	/* objects younger than this are never removed */
	const char	*actor;			/* for the audit trail */
	const char	*uploads_dir;		/* partial uploads (partial_dir()); NULL: none */
};

/*
 * One reconciliation, in this order:
 *   0. resumable uploads past their expiry: reservation released, partial
 *      file removed, S3 multipart upload aborted, upload forgotten
 *      (tus_expire()); then, on a backend with multipart uploads, those in
 *      progress under customers/ (or customers/{id}/) that no upload
 *      records, older than orphan_grace, aborted;
 *   1. pending rows older than pending_timeout: committed if their object
 *      is complete (HEAD size matches), released if not (quota_settle_pending);
 *      a resumable upload still receiving bytes is left alone (step 0
 *      ends it when it expires);
 *   2. deleted rows still owing their object's removal (deleted more than
 *      pending_timeout ago): the object removed, the row marked;
 *   3. every object under customers/ (or customers/{id}/) listed; those
 *      with no row (or a row whose object was already removed) and older
 *      than orphan_grace by their mtime are removed; stored rows whose
 *      object was not listed, or listed with another size, are reported;
 *   4. each customer's usage recalculated; drift is kept (and audited) only
 *      when there was some.
 * Safe while cofferd serves traffic and against a second reconciler:
 * steps 1 and 2 take their rows with FOR UPDATE SKIP LOCKED, step 3 runs
 * under an advisory lock (blocking), step 4 under the customer's row lock.
 * be/h is an open backend handle (the caller's).  *report receives the
 * JSON report (caller owns; see docs/OPERATIONS.md).  Returns one of the
 * RECONCILE_* statuses.
 */
int reconcile_run(PGconn *pg, const struct store_backend *be, void *h,
    const struct reconcile_opts *o, struct json_object **report);

#endif
