/* reconcile.c - settle, retry removals, remove orphans, report lost objects, repair drift. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/db.h"
#include "engine/quota.h"
#include "engine/reconcile.h"
#include "engine/tus.h"
#include "engine/tusparts.h"
#include "store/partial.h"
#include "store/store.h"
#include "engine/storekey.h"
#include "base/xmalloc.h"

#define REC_BATCH	100	/* rows per transaction (steps 1 and 2) */
#define REC_FLUSH	500	/* listed objects per insert into the scan table */
#define REC_ITEMS_MAX	1000	/* items listed per section of the report; counts stay exact */
#define REC_KEY_MAX	1024

/* Advisory lock keys (the two-int space; migrate.c uses the bigint one). */
#define REC_LOCK_SCAN	"1131374162"	/* "CoFR": the orphan scan (shared by a one-customer scan) */
#define REC_LOCK_CUST	"1131374147"	/* "CoFC": one customer's scan, by hashtext(id) */

struct rec_section {
	const char		*name;
	struct json_object	*obj;
	struct json_object	*items;
};

struct rec {
	PGconn				*pg;
	const struct store_backend	*be;
	void				*h;
	const struct reconcile_opts	*o;
	struct json_object		*errors;
	struct rec_section		 uploads, pending, removals, orphans, missing, drift;
	int64_t				 found;		/* repaired, or would be */
	int64_t				 damaged;	/* stored rows without their object */
	/* step 3: the listing */
	struct json_object		*batch;
	enum err			 scan_rc;
	int64_t				 listed;
	struct rec_odd {
		char	*key;
		int64_t	 size, mtime;
	}				*odd;		/* keys that cannot have a row */
	size_t				 nodd;
};

static const struct db_stmt rec_st_customer = {
	"reconcile_customer",
	"SELECT 1 FROM customers WHERE customer_id = $1::uuid", 1
};

static const struct db_stmt rec_st_customers = {
	"reconcile_customers",
	"SELECT customer_id FROM customers WHERE ($1::uuid IS NULL OR customer_id = $1::uuid)"
	" ORDER BY customer_id", 1
};

/* Removals owed, oldest first, paged like quota_pending. */
static const struct db_stmt rec_st_owed = {
	"reconcile_owed",
	"SELECT customer_id, id, storage_key, deleted_at, size FROM files"
	" WHERE state = 'deleted' AND object_removed_at IS NULL"
	" AND deleted_at < now() - make_interval(secs => $1::bigint)"
	" AND ($2::uuid IS NULL OR customer_id = $2::uuid)"
	" AND (deleted_at, id) > ($3::timestamptz, $4::uuid)"
	" ORDER BY deleted_at, id LIMIT $5::int FOR UPDATE SKIP LOCKED", 5
};

static const struct db_stmt rec_st_lock_all = {
	"reconcile_lock_all",
	"SELECT pg_advisory_lock(" REC_LOCK_SCAN ", 0)", 0
};

static const struct db_stmt rec_st_lock_one = {
	"reconcile_lock_one",
	"SELECT pg_advisory_lock_shared(" REC_LOCK_SCAN ", 0),"
	" pg_advisory_lock(" REC_LOCK_CUST ", hashtext($1))", 1
};

static const struct db_stmt rec_st_unlock_all = {
	"reconcile_unlock_all",
	"SELECT pg_advisory_unlock(" REC_LOCK_SCAN ", 0)", 0
};

static const struct db_stmt rec_st_unlock_one = {
	"reconcile_unlock_one",
	"SELECT pg_advisory_unlock_shared(" REC_LOCK_SCAN ", 0),"
	" pg_advisory_unlock(" REC_LOCK_CUST ", hashtext($1))", 1
};

static const struct db_stmt rec_st_now = {
	"reconcile_now", "SELECT now(), extract(epoch FROM now())::bigint", 0
};

/* The scan table lives in the session (pg_temp): two reconcilers never
 * share one.  Statements naming it are prepared after it exists. */
#define REC_TABLE "pg_temp.coffer_reconcile_objects"

static const struct db_stmt rec_st_insert = {
	"reconcile_insert",
	"INSERT INTO " REC_TABLE " (key, customer_id, size, mtime)"
	" SELECT x.k, x.c, x.s, x.m FROM json_to_recordset($1::json)"
	"  AS x (k text, c uuid, s bigint, m bigint)"
	" ON CONFLICT (key) DO NOTHING", 1
};

/* Listed objects with no row, or whose row says the object is gone; the
 * rows are read after the listing ended (see docs/OPERATIONS.md). */
static const struct db_stmt rec_st_orphans = {
	"reconcile_orphans",
	"SELECT o.key, o.size, o.mtime FROM " REC_TABLE " o"
	" LEFT JOIN files f ON f.customer_id = o.customer_id AND f.storage_key = o.key"
	" WHERE f.customer_id IS NULL"
	"  OR (f.state = 'deleted' AND f.object_removed_at IS NOT NULL)"
	" ORDER BY o.key", 0
};

/* Stored before the listing began, so their object was there all along. */
static const struct db_stmt rec_st_missing = {
	"reconcile_missing",
	"SELECT f.customer_id, f.id, f.storage_key, f.size, o.size FROM files f"
	" LEFT JOIN " REC_TABLE " o ON o.key = f.storage_key"
	" WHERE f.state = 'stored' AND f.stored_at < $1::timestamptz"
	" AND ($2::uuid IS NULL OR f.customer_id = $2::uuid)"
	" AND (o.key IS NULL OR o.size <> f.size)"
	" ORDER BY f.customer_id, f.storage_key", 2
};

static void
rec_error(struct rec *x, const char *step, const char *what, const char *why)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s: %s%s%s", step, what, why ? ": " : "", why ? why : "");
	json_object_array_add(x->errors, json_object_new_string(buf));
}

static void
rec_section_init(struct rec_section *s, const char *name, struct json_object *report)
{
	s->name = name;
	s->obj = json_object_new_object();
	s->items = json_object_new_array();
	json_object_object_add(report, name, s->obj);
}

/* Add n to a counter of the section. */
static void
rec_count(struct rec_section *s, const char *counter, int64_t n)
{
	struct json_object *v;
	int64_t cur = 0;

	if (json_object_object_get_ex(s->obj, counter, &v))
		cur = json_object_get_int64(v);
	json_object_object_add(s->obj, counter, json_object_new_int64(cur + n));
}

/* Keep an item (taken over), up to REC_ITEMS_MAX per section. */
static void
rec_item(struct rec_section *s, struct json_object *item)
{
	if (json_object_array_length(s->items) < REC_ITEMS_MAX)
		json_object_array_add(s->items, item);
	else {
		json_object_object_add(s->obj, "itemsTruncated", json_object_new_boolean(1));
		json_object_put(item);
	}
}

static struct json_object *
rec_file_item(const char *action, const char *customer, const char *file_id,
    const char *key, int64_t size)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "customerId", customer ? json_object_new_string(customer) : NULL);
	json_object_object_add(o, "fileId", file_id ? json_object_new_string(file_id) : NULL);
	json_object_object_add(o, "storageKey", json_object_new_string(key));
	json_object_object_add(o, "size", json_object_new_int64(size));
	return o;
}

/* ---- 0. expired resumable uploads ---------------------------------------- */

static void
rec_upload_dropped(void *arg, const char *customer_id, const char *id, bool completed,
    const char *s3_key, const char *s3_upload_id)
{
	struct rec *x = arg;
	const char *why = NULL;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "action", json_object_new_string(x->o->dry_run ?
	    "expire" : "expired"));
	json_object_object_add(o, "customerId", json_object_new_string(customer_id));
	json_object_object_add(o, "uploadId", json_object_new_string(id));
	json_object_object_add(o, "completed", json_object_new_boolean(completed));
	/* Its parts on S3 go with it; one that cannot be aborted now is an
	 * orphan the sweep below (or the next run) aborts. */
	if (s3_upload_id[0] != '\0' && x->be->abort_upload != NULL) {
		json_object_object_add(o, "multipartKey", json_object_new_string(s3_key));
		if (!x->o->dry_run && x->be->abort_upload(x->h, s3_key, s3_upload_id, &why) !=
		    ERR_OK)
			rec_error(x, "uploads", s3_key, why);
		else
			rec_count(&x->uploads, "multipartAborted", 1);
	}
	rec_item(&x->uploads, o);
	/* A completed upload's row only answered HEAD: nothing was owed. */
	if (!completed)
		x->found++;
	if (!x->o->dry_run && x->o->uploads_dir != NULL &&
	    partial_remove(x->o->uploads_dir, customer_id, id, &why) != ERR_OK)
		rec_error(x, "uploads", id, why);
}

/*
 * A multipart upload in progress that nothing knows (a worker died
 * between beginning it and recording it, or an abort failed) is aborted
 * once older than orphan_grace, judged by this host's clock like objects.
 */
static int
rec_upload_orphan(void *arg, const char *key, const char *upload_id, time_t initiated)
{
	struct rec *x = arg;
	struct json_object *item;
	const char *why = NULL, *action;
	int64_t age = (int64_t)time(NULL) - (int64_t)initiated;
	int known;

	if (age < x->o->orphan_grace_s) {
		rec_count(&x->uploads, "multipartYoung", 1);
		return 0;
	}
	if ((known = tusparts_known(x->pg, key, upload_id)) != 0) {
		if (known == -1)
			rec_error(x, "uploads", key, "cannot tell whose multipart upload it is");
		return 0;
	}
	if (x->o->dry_run)
		action = "abort";
	else if (x->be->abort_upload(x->h, key, upload_id, &why) != ERR_OK) {
		rec_error(x, "uploads", key, why);
		action = "failed";
	} else
		action = "aborted";
	if (strcmp(action, "failed") != 0) {
		rec_count(&x->uploads, "multipartOrphans", 1);
		x->found++;
	}
	item = rec_file_item(action, NULL, NULL, key, 0);
	json_object_object_add(item, "ageSeconds", json_object_new_int64(age));
	rec_item(&x->uploads, item);
	return 0;
}

static void
rec_uploads(struct rec *x)
{
	const char *why = NULL;
	char prefix[64];
	int64_t n = 0;

	if (tus_expire(x->pg, x->o->customer_id, x->o->dry_run, x->o->actor,
	    rec_upload_dropped, x, &n, &why) != ERR_OK)
		rec_error(x, "uploads", "expiring resumable uploads", why);
	rec_count(&x->uploads, "expired", n);
	if (x->be->list_uploads == NULL)
		return;
	rec_count(&x->uploads, "multipartOrphans", 0);
	storekey_prefix(x->o->customer_id, prefix, sizeof(prefix));
	if (x->be->list_uploads(x->h, prefix, rec_upload_orphan, x, &why) != ERR_OK)
		rec_error(x, "uploads", "listing multipart uploads", why);
}

/* ---- 1. pending rows ----------------------------------------------------- */

static int
rec_judge(void *arg, const struct quota_pending *p)
{
	struct rec *x = arg;
	struct store_stat st;
	const char *why = NULL;
	enum err rc;
	int verdict;

	/* A resumable upload still receiving bytes has no object yet and is
	 * not abandoned: its expiry (step 0) decides. */
	if (tus_receiving(x->pg, p->customer_id, p->file_id) == 1) {
		rec_count(&x->pending, "receiving", 1);
		return -1;
	}
	rc = x->be->head(x->h, p->storage_key, &st, &why);
	if (rc == ERR_OK)
		verdict = st.size == p->size;
	else if (rc == ERR_NOTFOUND)
		verdict = 0;
	else {
		rec_count(&x->pending, "unjudged", 1);
		rec_item(&x->pending, rec_file_item("unjudged", p->customer_id, p->file_id,
		    p->storage_key, p->size));
		rec_error(x, "pending", p->storage_key, why ? why : err_strerror(rc));
		return -1;
	}
	if (!x->o->dry_run)
		return verdict;
	/* A dry run only says what it would do: "cannot tell" leaves the row. */
	rec_count(&x->pending, verdict ? "committed" : "released", 1);
	rec_item(&x->pending, rec_file_item(verdict ? "commit" : "release", p->customer_id,
	    p->file_id, p->storage_key, p->size));
	x->found++;
	return -1;
}

static void
rec_settled(void *arg, const struct quota_pending *p, bool committed)
{
	struct rec *x = arg;

	rec_count(&x->pending, committed ? "committed" : "released", 1);
	rec_item(&x->pending, rec_file_item(committed ? "committed" : "released",
	    p->customer_id, p->file_id, p->storage_key, p->size));
	x->found++;
}

static void
rec_pending(struct rec *x)
{
	struct quota_settled got;
	const char *why = NULL;
	enum err rc;

	rec_count(&x->pending, "committed", 0);
	rec_count(&x->pending, "released", 0);
	rec_count(&x->pending, "unjudged", 0);
	rec_count(&x->pending, "receiving", 0);
	rc = quota_settle_pending(x->pg, x->o->customer_id, x->o->pending_timeout_s, REC_BATCH,
	    rec_judge, rec_settled, x, x->o->actor, &got, &why);
	if (rc != ERR_OK)
		rec_error(x, "pending", "settling pending uploads", why);
}

/* ---- 2. removals owed ---------------------------------------------------- */

/* One batch in one transaction; *n gets the rows seen. */
static enum err
rec_owed_batch(struct rec *x, const char *const params[5], int *n, char after_at[64],
    char after_id[QUOTA_ID_LEN], const char **why)
{
	PGresult *res = NULL;
	signed char *done = NULL;	/* 1 removed, -1 failed */
	enum err rc;
	int i;

	*n = 0;
	if ((rc = db_cmd(x->pg, "BEGIN", why)) != ERR_OK)
		return rc;
	if ((rc = db_run(x->pg, &rec_st_owed, params, &res, why)) != ERR_OK)
		goto fail;
	*n = PQntuples(res);
	done = xcalloc((size_t)*n + 1, 1);
	for (i = 0; i < *n && !x->o->dry_run; i++) {
		const char *key = PQgetvalue(res, i, 2), *e = NULL;

		if ((rc = x->be->del(x->h, key, &e)) != ERR_OK) {
			rec_error(x, "removals", key, e ? e : err_strerror(rc));
			done[i] = -1;
			continue;
		}
		/* Marked in the transaction that holds the row: exactly once. */
		rc = quota_object_removed(x->pg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), why);
		if (rc != ERR_OK && rc != ERR_NOTFOUND)
			goto fail;
		done[i] = 1;
	}
	if (*n > 0) {
		snprintf(after_at, 64, "%s", PQgetvalue(res, *n - 1, 3));
		snprintf(after_id, QUOTA_ID_LEN, "%s", PQgetvalue(res, *n - 1, 1));
	}
	if ((rc = db_cmd(x->pg, "COMMIT", why)) != ERR_OK)
		goto fail;
	for (i = 0; i < *n; i++) {
		const char *action = x->o->dry_run ? "remove" : done[i] == 1 ? "removed" : "failed";

		rec_count(&x->removals, done[i] == -1 ? "failed" : "removed", 1);
		if (done[i] != -1)
			x->found++;
		rec_item(&x->removals, rec_file_item(action, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    strtoll(PQgetvalue(res, i, 4), NULL, 10)));
	}
	PQclear(res);
	free(done);
	return ERR_OK;
fail:
	PQclear(res);
	free(done);
	(void)db_cmd(x->pg, "ROLLBACK", NULL);
	return rc;
}

static void
rec_removals(struct rec *x)
{
	char age[24], lim[16], after_at[64] = "-infinity";
	char after_id[QUOTA_ID_LEN] = "00000000-0000-0000-0000-000000000000";
	const char *params[5] = { age, x->o->customer_id, after_at, after_id, lim };
	const char *why = NULL;
	int n;

	rec_count(&x->removals, "removed", 0);
	rec_count(&x->removals, "failed", 0);
	snprintf(age, sizeof(age), "%" PRId64, x->o->pending_timeout_s);
	snprintf(lim, sizeof(lim), "%d", REC_BATCH);
	do {
		if (rec_owed_batch(x, params, &n, after_at, after_id, &why) != ERR_OK) {
			rec_error(x, "removals", "retrying object removals", why);
			return;
		}
	} while (n == REC_BATCH);
}

/* ---- 3. the orphan scan ---------------------------------------------------- */

static int
rec_flush(struct rec *x)
{
	const char *params[1], *why = NULL;
	PGresult *res = NULL;

	if (x->batch == NULL || json_object_array_length(x->batch) == 0)
		return 0;
	params[0] = json_object_to_json_string_ext(x->batch, JSON_C_TO_STRING_PLAIN);
	x->scan_rc = db_run(x->pg, &rec_st_insert, params, &res, &why);
	PQclear(res);
	json_object_put(x->batch);
	x->batch = NULL;
	if (x->scan_rc != ERR_OK) {
		rec_error(x, "orphans", "recording the listing", why);
		return -1;
	}
	return 0;
}

/* A key our storekey format could have produced is printable ASCII. */
static int
rec_key_plain(const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0'; i++)
		if (i >= REC_KEY_MAX || key[i] < 0x21 || key[i] > 0x7e)
			return 0;
	return 1;
}

static int
rec_listed(void *arg, const char *key, int64_t size, time_t mtime)
{
	struct rec *x = arg;
	struct json_object *o;
	char cust[STOREKEY_UUID_LEN + 1];

	x->listed++;
	if (!rec_key_plain(key)) {
		/* No row can name it; judged in C, not stored in the table. */
		if (x->nodd == REC_ITEMS_MAX) {
			rec_error(x, "orphans", "too many keys with unusual bytes", "some left alone");
			return 0;
		}
		x->odd = xrealloc(x->odd, (x->nodd + 1) * sizeof(*x->odd));
		x->odd[x->nodd].key = xstrdup(key);
		x->odd[x->nodd].size = size;
		x->odd[x->nodd].mtime = (int64_t)mtime;
		x->nodd++;
		return 0;
	}
	storekey_customer(key, cust);
	o = json_object_new_object();
	json_object_object_add(o, "k", json_object_new_string(key));
	json_object_object_add(o, "c", cust[0] ? json_object_new_string(cust) : NULL);
	json_object_object_add(o, "s", json_object_new_int64(size));
	json_object_object_add(o, "m", json_object_new_int64((int64_t)mtime));
	if (x->batch == NULL)
		x->batch = json_object_new_array();
	json_object_array_add(x->batch, o);
	if (json_object_array_length(x->batch) >= REC_FLUSH)
		return rec_flush(x) == 0 ? 0 : 1;
	return 0;
}

/* Remove one orphan candidate if it is old enough (by its mtime, judged
 * against this host's clock) and still there. */
static void
rec_orphan(struct rec *x, const char *key, int64_t size, int64_t mtime, int64_t now)
{
	struct json_object *item;
	struct store_stat st;
	const char *why = NULL, *action;
	enum err rc;

	if (now - mtime < x->o->orphan_grace_s) {
		rec_count(&x->orphans, "young", 1);
		return;
	}
	if (x->o->dry_run)
		action = "remove";
	else {
		/* Look again: it may have gone (a worker finishing its own
		 * cleanup) since the listing. */
		rc = x->be->head(x->h, key, &st, &why);
		if (rc == ERR_NOTFOUND)
			return;
		if (rc == ERR_OK && now - (int64_t)st.mtime < x->o->orphan_grace_s) {
			rec_count(&x->orphans, "young", 1);
			return;
		}
		if (rc == ERR_OK)
			rc = x->be->del(x->h, key, &why);
		if (rc != ERR_OK) {
			rec_count(&x->orphans, "failed", 1);
			rec_error(x, "orphans", key, why ? why : err_strerror(rc));
			action = "failed";
		} else
			action = "removed";
	}
	if (strcmp(action, "failed") != 0) {
		rec_count(&x->orphans, "removed", 1);
		x->found++;
	}
	item = rec_file_item(action, NULL, NULL, key, size);
	json_object_object_add(item, "ageSeconds", json_object_new_int64(now - mtime));
	rec_item(&x->orphans, item);
}

static void
rec_missing(struct rec *x, const char *scan_start)
{
	const char *params[2] = { scan_start, x->o->customer_id }, *why = NULL;
	struct json_object *item;
	PGresult *res = NULL;
	int i;

	if (db_run(x->pg, &rec_st_missing, params, &res, &why) != ERR_OK) {
		rec_error(x, "missing", "finding stored files without their object", why);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		item = rec_file_item(PQgetisnull(res, i, 4) ? "missing" : "size",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    strtoll(PQgetvalue(res, i, 3), NULL, 10));
		json_object_object_add(item, "objectSize", PQgetisnull(res, i, 4) ? NULL :
		    json_object_new_int64(strtoll(PQgetvalue(res, i, 4), NULL, 10)));
		rec_item(&x->missing, item);
		rec_count(&x->missing, PQgetisnull(res, i, 4) ? "missing" : "sizeMismatch", 1);
		x->damaged++;
	}
	PQclear(res);
}

static void
rec_scan(struct rec *x)
{
	const char *one[1] = { x->o->customer_id }, *why = NULL;
	char prefix[64], scan_start[64];
	PGresult *res = NULL;
	int64_t now;
	size_t i;
	int locked = 0;

	rec_count(&x->orphans, "removed", 0);
	rec_count(&x->orphans, "young", 0);
	rec_count(&x->orphans, "failed", 0);
	rec_count(&x->missing, "missing", 0);
	rec_count(&x->missing, "sizeMismatch", 0);
	/* One scan of a prefix at a time: a second reconciler waits here and
	 * then lists what the first left. */
	if (db_run(x->pg, x->o->customer_id ? &rec_st_lock_one : &rec_st_lock_all,
	    x->o->customer_id ? one : NULL, &res, &why) != ERR_OK) {
		rec_error(x, "orphans", "taking the scan lock", why);
		return;
	}
	PQclear(res);
	locked = 1;
	if (db_run(x->pg, &rec_st_now, NULL, &res, &why) != ERR_OK) {
		rec_error(x, "orphans", "reading the time", why);
		goto done;
	}
	snprintf(scan_start, sizeof(scan_start), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	if (db_cmd(x->pg, "CREATE TEMP TABLE IF NOT EXISTS coffer_reconcile_objects ("
	    " key text PRIMARY KEY, customer_id uuid, size bigint NOT NULL,"
	    " mtime bigint NOT NULL)", &why) != ERR_OK ||
	    db_cmd(x->pg, "TRUNCATE " REC_TABLE, &why) != ERR_OK) {
		rec_error(x, "orphans", "creating the scan table", why);
		goto done;
	}
	storekey_prefix(x->o->customer_id, prefix, sizeof(prefix));
	x->scan_rc = ERR_OK;
	if (x->be->list(x->h, prefix, rec_listed, x, &why) != ERR_OK) {
		rec_error(x, "orphans", "listing the backend", why);
		goto done;
	}
	if (x->scan_rc != ERR_OK || rec_flush(x) != 0)
		goto done;	/* an incomplete listing proves nothing */
	json_object_object_add(x->orphans.obj, "listed", json_object_new_int64(x->listed));

	if (db_run(x->pg, &rec_st_orphans, NULL, &res, &why) != ERR_OK) {
		rec_error(x, "orphans", "finding objects without a row", why);
		goto done;
	}
	now = (int64_t)time(NULL);
	for (i = 0; i < (size_t)PQntuples(res); i++)
		rec_orphan(x, PQgetvalue(res, (int)i, 0), strtoll(PQgetvalue(res, (int)i, 1),
		    NULL, 10), strtoll(PQgetvalue(res, (int)i, 2), NULL, 10), now);
	for (i = 0; i < x->nodd; i++)
		rec_orphan(x, x->odd[i].key, x->odd[i].size, x->odd[i].mtime, now);
	PQclear(res);
	res = NULL;
	rec_missing(x, scan_start);
done:
	PQclear(res);
	json_object_put(x->batch);
	x->batch = NULL;
	if (locked) {
		res = NULL;
		if (db_run(x->pg, x->o->customer_id ? &rec_st_unlock_one : &rec_st_unlock_all,
		    x->o->customer_id ? one : NULL, &res, &why) == ERR_OK)
			PQclear(res);
	}
}

/* ---- 4. drift -------------------------------------------------------------- */

static void
rec_drift(struct rec *x)
{
	const char *one[1] = { x->o->customer_id }, *why = NULL, *id;
	struct quota_drift d;
	PGresult *res = NULL;
	enum err rc;
	int i, drifted;

	rec_count(&x->drift, "customers", 0);
	if (db_run(x->pg, &rec_st_customers, one, &res, &why) != ERR_OK) {
		rec_error(x, "drift", "listing customers", why);
		return;
	}
	json_object_object_add(x->drift.obj, "checked", json_object_new_int(PQntuples(res)));
	for (i = 0; i < PQntuples(res); i++) {
		id = PQgetvalue(res, i, 0);
		/* Kept only when it corrected something: a clean check leaves no
		 * audit row behind, however often the reconciler runs. */
		if ((rc = db_cmd(x->pg, "BEGIN", &why)) == ERR_OK &&
		    (rc = quota_recalculate(x->pg, id, x->o->actor, &d, &why)) == ERR_OK) {
			drifted = d.used_before != d.used_after ||
			    d.reserved_before != d.reserved_after || d.rows_changed > 0;
			rc = db_cmd(x->pg, drifted && !x->o->dry_run ? "COMMIT" : "ROLLBACK", &why);
			if (rc == ERR_OK && drifted) {
				rec_count(&x->drift, "customers", 1);
				x->found++;
				rec_item(&x->drift, json_object_get(d.detail));
			}
			json_object_put(d.detail);
		}
		if (rc != ERR_OK) {
			(void)db_cmd(x->pg, "ROLLBACK", NULL);
			rec_error(x, "drift", id, why);
			if (rc == ERR_DB)
				break;
		}
	}
	PQclear(res);
}

int
reconcile_run(PGconn *pg, const struct store_backend *be, void *h,
    const struct reconcile_opts *o, struct json_object **report)
{
	struct rec_section *sections[6];
	struct json_object *r = json_object_new_object();
	const char *one[1] = { o->customer_id }, *why = NULL, *status;
	PGresult *res = NULL;
	struct rec x;
	int rc;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.pg = pg;
	x.be = be;
	x.h = h;
	x.o = o;
	x.errors = json_object_new_array();
	json_object_object_add(r, "dryRun", json_object_new_boolean(o->dry_run));
	json_object_object_add(r, "customer", o->customer_id ?
	    json_object_new_string(o->customer_id) : NULL);
	json_object_object_add(r, "backend", json_object_new_string(be->name));
	json_object_object_add(r, "pendingTimeoutSeconds", json_object_new_int64(o->pending_timeout_s));
	json_object_object_add(r, "orphanGraceSeconds", json_object_new_int64(o->orphan_grace_s));
	rec_section_init(&x.uploads, "uploads", r);
	rec_section_init(&x.pending, "pending", r);
	rec_section_init(&x.removals, "removals", r);
	rec_section_init(&x.orphans, "orphans", r);
	rec_section_init(&x.missing, "missing", r);
	rec_section_init(&x.drift, "drift", r);
	sections[0] = &x.pending;
	sections[1] = &x.removals;
	sections[2] = &x.orphans;
	sections[3] = &x.missing;
	sections[4] = &x.drift;
	sections[5] = &x.uploads;

	if (o->customer_id != NULL) {
		if (db_run(pg, &rec_st_customer, one, &res, &why) != ERR_OK)
			rec_error(&x, "start", "looking up the customer", why);
		else if (PQntuples(res) != 1)
			rec_error(&x, "start", "no such customer", o->customer_id);
		PQclear(res);
	}
	if (json_object_array_length(x.errors) == 0) {
		rec_uploads(&x);
		rec_pending(&x);
		rec_removals(&x);
		rec_scan(&x);
		rec_drift(&x);
	}
	for (i = 0; i < x.nodd; i++)
		free(x.odd[i].key);
	free(x.odd);

	for (i = 0; i < 6; i++)
		json_object_object_add(sections[i]->obj, "items", sections[i]->items);
	if (json_object_array_length(x.errors) > 0) {
		rc = RECONCILE_ERROR;
		status = "error";
	} else if (x.damaged > 0) {
		rc = RECONCILE_DAMAGED;
		status = "damaged";
	} else if (x.found > 0) {
		rc = RECONCILE_REPAIRED;
		status = o->dry_run ? "found" : "repaired";
	} else {
		rc = RECONCILE_CLEAN;
		status = "clean";
	}
	json_object_object_add(r, "errors", x.errors);
	json_object_object_add(r, "status", json_object_new_string(status));
	json_object_object_add(r, "exitStatus", json_object_new_int(rc));
	*report = r;
	return rc;
}
