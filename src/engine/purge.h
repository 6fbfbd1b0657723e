/* purge.h - retention: deleted file rows and old outbox events, removed in batches. */
#ifndef COFFER_PURGE_H
#define COFFER_PURGE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct purge_result {
	int64_t		files;		/* deleted file rows removed (or, dry, removable) */
	int64_t		events;		/* storage_events rows removed (or removable) */
};

/*
 * Remove the rows of files deleted more than keep_deleted_s seconds ago
 * whose object is gone (object_removed_at set: a removal still owed stays
 * for the reconciler), and storage_events older than keep_events_s, at most
 * batch rows per statement, each statement its own transaction, until
 * none is left.  The audit trail is never touched: it keeps who deleted
 * what, of which size, when; the metadata goes with the row.  With dry_run
 * only counts.  ERR_OK with *out filled (partial counts on failure too);
 * ERR_DB; ERR_INTERNAL.  *errstr as db_run()'s.
 */
enum err purge_run(PGconn *pg, int64_t keep_deleted_s, int64_t keep_events_s, int64_t batch,
    bool dry_run, struct purge_result *out, const char **errstr);

#endif
