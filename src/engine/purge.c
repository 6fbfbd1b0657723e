/* purge.c - retention: deleted file rows and old outbox events, removed in batches. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/db.h"
#include "engine/purge.h"

/* Oldest first, a batch at a time, by the partial indexes of sql/007. */
static const struct db_stmt purge_st_files = {
	"purge_files",
	"DELETE FROM files WHERE (customer_id, id) IN ("
	" SELECT customer_id, id FROM files"
	" WHERE state = 'deleted' AND object_removed_at IS NOT NULL"
	"  AND deleted_at < now() - $1::bigint * interval '1 second'"
	" ORDER BY deleted_at LIMIT $2::int)",
	2
};

static const struct db_stmt purge_st_events = {
	"purge_events",
	"DELETE FROM storage_events WHERE (customer_id, id) IN ("
	" SELECT customer_id, id FROM storage_events"
	" WHERE created_at < now() - $1::bigint * interval '1 second'"
	" ORDER BY created_at LIMIT $2::int)",
	2
};

static const struct db_stmt purge_st_count = {
	"purge_count",
	"SELECT (SELECT count(*) FROM files WHERE state = 'deleted'"
	"   AND object_removed_at IS NOT NULL"
	"   AND deleted_at < now() - $1::bigint * interval '1 second'),"
	" (SELECT count(*) FROM storage_events"
	"   WHERE created_at < now() - $2::bigint * interval '1 second')",
	2
};

/* Run st until a batch removes fewer rows than asked; adds to *n. */
static enum err
purge_loop(PGconn *pg, const struct db_stmt *st, const char *age, const char *batch,
    int64_t limit, int64_t *n, const char **errstr)
{
	const char *params[2] = { age, batch };
	PGresult *res;
	int64_t got;
	enum err rc;

	do {
		if ((rc = db_run(pg, st, params, &res, errstr)) != ERR_OK)
			return rc;
		got = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		*n += got;
	} while (got == limit);
	return ERR_OK;
}

enum err
purge_run(PGconn *pg, int64_t keep_deleted_s, int64_t keep_events_s, int64_t batch,
    bool dry_run, struct purge_result *out, const char **errstr)
{
	char files_age[24], events_age[24], batchbuf[24];
	const char *params[2] = { files_age, events_age };
	PGresult *res;
	enum err rc;

	out->files = out->events = 0;
	snprintf(files_age, sizeof(files_age), "%" PRId64, keep_deleted_s);
	snprintf(events_age, sizeof(events_age), "%" PRId64, keep_events_s);
	snprintf(batchbuf, sizeof(batchbuf), "%" PRId64, batch);
	if (dry_run) {
		if ((rc = db_run(pg, &purge_st_count, params, &res, errstr)) != ERR_OK)
			return rc;
		out->files = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		out->events = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
		return ERR_OK;
	}
	if ((rc = purge_loop(pg, &purge_st_files, files_age, batchbuf, batch, &out->files,
	    errstr)) != ERR_OK)
		return rc;
	return purge_loop(pg, &purge_st_events, events_age, batchbuf, batch, &out->events,
	    errstr);
}
