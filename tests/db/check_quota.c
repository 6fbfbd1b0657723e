/*
 * check_quota.c - the quota engine against a real PostgreSQL (DATABASE_URL).
 *
 * Not run by `make check`: tests/integration/test_quota_db.py runs it with a
 * stack's DATABASE_URL.  By hand: DATABASE_URL=postgresql://... tests/db/check_quota
 * A missing or unreachable database is a failure, never a skip.  Every test
 * creates its own plans and customers with random ids, so runs never collide.
 * QUOTA_SEED=N replays the property test; QUOTA_PG_STOP and QUOTA_PG_START
 * (shell commands) enable the "restart" case that stops the cluster for real
 * (CK_RUN_CASE=restart runs it alone).  Through a transaction pooler
 * (DATABASE_URL PgBouncer's): COFFER_DB_POOLED=1 runs the statements as
 * cofferd does there, and the migration goes to COFFER_PG_DIRECT_URL (it
 * holds a session lock); the "connection" cases need a session of their
 * own and are for direct runs.
 */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "base/conf.h"
#include "engine/customer.h"
#include "engine/db.h"
#include "engine/migrate.h"
#include "engine/plan.h"
#include "engine/quota.h"

#define MiB	(INT64_C(1) << 20)
#define ACTOR	"check_quota"

static const char *dburl;
static bool pooled;		/* COFFER_DB_POOLED=1: through PgBouncer */
static PGconn *pg;		/* this test process's connection */

/* ---------------------------------------------------------------- helpers */

static PGconn *
connect_url(void)
{
	PGconn *c = PQconnectdb(dburl);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect: %s", PQerrorMessage(c));
	return c;
}

static void
setup(void)
{
	pg = connect_url();
}

static void
teardown(void)
{
	db_forget(pg);
	PQfinish(pg);
	pg = NULL;
}

static void
new_uuid(char out[QUOTA_ID_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

/* A single value from SQL (text), or "" for NULL; fails the test on error. */
static char *
sql1(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
sql1(PGconn *c, const char *fmt, ...)
{
	static char val[4096];
	char q[4096];
	va_list ap;
	PGresult *r;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = PQexec(c, q);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", q, PQresultErrorMessage(r));
	snprintf(val, sizeof(val), "%s",
	    PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return val;
}

static int64_t
sqlint(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int64_t
sqlint(PGconn *c, const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return strtoll(sql1(c, "%s", q), NULL, 10);
}

/* A fresh plan "t<random>" with limit bytes (-1: unlimited) and max file size. */
static const char *
new_plan(int64_t limit, int64_t max)
{
	static char names[8][40];
	static int next;
	struct quota_limit l = { limit < 0 ? QUOTA_LIMIT_UNLIMITED : QUOTA_LIMIT_BYTES,
	    limit < 0 ? 0 : limit };
	char id[QUOTA_ID_LEN], *name = names[next++ % 8];
	const char *errstr = NULL;
	int created;

	new_uuid(id);
	snprintf(name, 40, "t%.12s", id + 24);
	ck_assert_msg(plan_set(pg, name, &l, max, max, &created, &errstr) == ERR_OK,
	    "plan_set: %s", errstr);
	ck_assert(created);
	return name;
}

static const char *
new_customer(const char *plan)
{
	static char ids[8][QUOTA_ID_LEN];
	static int next;
	char *id = ids[next++ % 8];
	const char *errstr = NULL;

	new_uuid(id);
	ck_assert_msg(customer_create(pg, id, plan, NULL, ACTOR, &errstr) == ERR_OK,
	    "customer_create: %s", errstr);
	return id;
}

static void
upload_init(struct quota_upload *u, const char *cid, int64_t size, const char *ftype,
    const char *cat, char key[128])
{
	char r[QUOTA_ID_LEN];

	new_uuid(r);
	snprintf(key, 128, "customers/%s/%s/%s", cid, cat, r);
	memset(u, 0, sizeof(*u));
	u->customer_id = cid;
	u->storage_key = key;
	u->category = cat;
	u->original_name = "name.bin";
	u->mime_type = "application/octet-stream";
	u->file_type = ftype;
	u->size = size;
	u->uploaded_by = "user-1";
	u->metadata_json = "{\"k\": 1}";
}

/* reserve + commit; returns the reserve's code, file id in id. */
static enum err
upload_on(PGconn *c, const char *cid, int64_t size, const char *ftype, const char *cat,
    char id[QUOTA_ID_LEN])
{
	struct quota_upload u;
	char key[128];
	enum err rc;

	upload_init(&u, cid, size, ftype, cat, key);
	if ((rc = quota_reserve(c, &u, id, NULL, NULL)) != ERR_OK)
		return rc;
	ck_assert_int_eq(quota_commit(c, cid, id, NULL, NULL), ERR_OK);
	return ERR_OK;
}

static enum err
upload(const char *cid, int64_t size, const char *ftype, const char *cat, char id[QUOTA_ID_LEN])
{
	return upload_on(pg, cid, size, ftype, cat, id);
}

static struct quota_info
info(const char *cid)
{
	struct quota_info q;

	ck_assert_int_eq(quota_get(pg, cid, &q, NULL), ERR_OK);
	return q;
}

/* Counters equal the files' sums, breakdown equals the grouped sums. */
static void
assert_consistent(const char *cid, const char *ctx)
{
	struct quota_info q = info(cid);
	/* Usage counts charged sizes (sql/007); these callers charge bare sizes. */
	int64_t stored = sqlint(pg, "SELECT coalesce(sum(charged_size),0) FROM files WHERE"
	    " customer_id = '%s' AND state = 'stored'", cid);
	int64_t pending = sqlint(pg, "SELECT coalesce(sum(charged_size),0) FROM files WHERE"
	    " customer_id = '%s' AND state = 'pending'", cid);
	int64_t bad = sqlint(pg,
	    "WITH l AS (SELECT file_type, category, coalesce(subcategory, '') subcategory,"
	    "  count(*) n, sum(charged_size) s FROM files"
	    "  WHERE customer_id = '%s' AND state = 'stored' GROUP BY 1, 2, 3),"
	    " u AS (SELECT file_type, category, subcategory, file_count n, total_size s"
	    "  FROM storage_usage WHERE customer_id = '%s' AND file_count > 0)"
	    " SELECT count(*) FROM l FULL JOIN u USING (file_type, category, subcategory)"
	    " WHERE l.n IS DISTINCT FROM u.n OR l.s IS DISTINCT FROM u.s", cid, cid);

	ck_assert_msg(q.used == stored, "%s: used %" PRId64 " != stored %" PRId64, ctx,
	    q.used, stored);
	ck_assert_msg(q.reserved == pending, "%s: reserved %" PRId64 " != pending %" PRId64,
	    ctx, q.reserved, pending);
	ck_assert_msg(bad == 0, "%s: %" PRId64 " breakdown rows differ from the files", ctx, bad);
}

/* ------------------------------------------------------------ basic flow */

START_TEST(test_reserve_commit)
{
	const char *cid = new_customer(new_plan(10 * MiB, 5 * MiB));
	struct quota_upload u;
	struct quota_info q;
	char id[QUOTA_ID_LEN], key[128];

	upload_init(&u, cid, MiB, "image", "photos", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(strlen(id), 36);
	q = info(cid);
	ck_assert_int_eq(q.reserved, MiB);
	ck_assert_int_eq(q.used, 0);
	ck_assert_str_eq(sql1(pg, "SELECT state FROM files WHERE customer_id='%s' AND id='%s'",
	    cid, id), "pending");
	ck_assert_int_eq(quota_commit(pg, cid, id, NULL, NULL), ERR_OK);
	q = info(cid);
	ck_assert_int_eq(q.reserved, 0);
	ck_assert_int_eq(q.used, MiB);
	ck_assert_int_eq(q.available, 9 * MiB);
	ck_assert(q.percentage == 10.0);
	ck_assert_int_eq(sqlint(pg, "SELECT file_count FROM storage_usage WHERE customer_id='%s'"
	    " AND file_type='image' AND category='photos'", cid), 1);
	ck_assert_str_eq(sql1(pg, "SELECT metadata->>'k' FROM files WHERE id='%s'", id), "1");
	/* Committing again is fine (a reconciler may have been first)... */
	ck_assert_int_eq(quota_commit(pg, cid, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).used, MiB);
	/* ...releasing a stored file is not. */
	ck_assert_int_eq(quota_release(pg, cid, id, ACTOR, NULL), ERR_NOTFOUND);
	assert_consistent(cid, "after commit");
}
END_TEST

START_TEST(test_refusals)
{
	const char *plan = new_plan(10 * MiB, 4 * MiB);
	const char *cid = new_customer(plan);
	struct quota_refusal why;
	struct quota_deleted d;
	struct quota_upload u;
	char id[QUOTA_ID_LEN], key[128], other[QUOTA_ID_LEN];
	const char *errstr = NULL;

	/* Unknown and malformed customers. */
	new_uuid(other);
	upload_init(&u, other, 1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_NOTFOUND);
	upload_init(&u, "not-a-uuid", 1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_BADREQ);
	upload_init(&u, cid, -1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_BADREQ);
	upload_init(&u, cid, 1, "other", "documents", key);
	u.metadata_json = "{not json";
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_BADREQ);

	/* Too big for the plan, whatever the room left. */
	upload_init(&u, cid, 4 * MiB + 1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, &errstr), ERR_TOOBIG);
	ck_assert_int_eq(why.max_file_size, 4 * MiB);
	ck_assert_int_eq(why.needed, 4 * MiB + 1);

	/* Over quota: used, limit and needed are reported. */
	ck_assert_int_eq(upload(cid, 4 * MiB, "other", "documents", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 4 * MiB, "other", "documents", id), ERR_OK);
	upload_init(&u, cid, 2 * MiB + 1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, &errstr), ERR_QUOTA);
	ck_assert_int_eq(why.used, 8 * MiB);
	ck_assert_int_eq(why.limit, 10 * MiB);
	ck_assert_int_eq(why.needed, 2 * MiB + 1);
	ck_assert(!why.unlimited);
	ck_assert_int_eq(id[0], '\0');
	/* Exactly to the limit is allowed. */
	upload_init(&u, cid, 2 * MiB, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_OK);
	ck_assert_int_eq(quota_release(pg, cid, id, ACTOR, NULL), ERR_OK);

	/* Duplicate key: conflict, and nothing charged. */
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_commit(pg, cid, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_delete(pg, cid, id, ACTOR, &d, NULL), ERR_OK);
	free(d.storage_key);
	u.size = 1;
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, &errstr), ERR_CONFLICT);
	ck_assert_int_eq(info(cid).reserved, 0);

	/* Suspended: forbidden; reactivated: fine. */
	ck_assert_int_eq(customer_set_status(pg, cid, false, ACTOR, NULL), ERR_OK);
	upload_init(&u, cid, 1, "other", "documents", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_FORBIDDEN);
	ck_assert_str_eq(info(cid).status, "suspended");
	ck_assert_int_eq(customer_set_status(pg, cid, true, ACTOR, NULL), ERR_OK);
	ck_assert_int_eq(quota_reserve(pg, &u, id, &why, NULL), ERR_OK);
	assert_consistent(cid, "refusals");
}
END_TEST

/* The one-statement upload: everything of a commit, nothing when refused. */
START_TEST(test_record)
{
	const char *plan = new_plan(10 * MiB, 4 * MiB);
	const char *cid = new_customer(plan);
	struct quota_refusal why;
	struct quota_upload u;
	struct quota_info q;
	char id[QUOTA_ID_LEN], key[128], other[QUOTA_ID_LEN];

	upload_init(&u, cid, MiB, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_OK);
	ck_assert_int_eq(strlen(id), 36);
	q = info(cid);
	ck_assert_int_eq(q.used, MiB);
	ck_assert_int_eq(q.reserved, 0);
	ck_assert_str_eq(sql1(pg, "SELECT state FROM files WHERE customer_id='%s' AND id='%s'",
	    cid, id), "stored");
	ck_assert_int_eq(sqlint(pg, "SELECT file_count FROM storage_usage WHERE customer_id='%s'"
	    " AND file_type='image' AND category='photos'", cid), 1);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'"
	    " AND action='upload' AND file_id='%s' AND actor='user-1'", cid, id), 1);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM storage_events WHERE customer_id='%s'"
	    " AND type='file.uploaded' AND file_id='%s'", cid, id), 1);
	/* A key already used is a conflict, and charges nothing. */
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_CONFLICT);
	ck_assert_int_eq(info(cid).used, MiB);

	/* Refusals are reserve's, and write nothing. */
	upload_init(&u, cid, 4 * MiB + 1, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_TOOBIG);
	ck_assert_int_eq(why.max_file_size, 4 * MiB);
	ck_assert_int_eq(upload(cid, 4 * MiB, "image", "photos", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 4 * MiB, "image", "photos", id), ERR_OK);
	upload_init(&u, cid, MiB + 1, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_QUOTA);
	ck_assert_int_eq(why.used, 9 * MiB);
	ck_assert_int_eq(why.needed, MiB + 1);
	ck_assert_int_eq(id[0], '\0');
	new_uuid(other);
	upload_init(&u, other, 1, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(customer_set_status(pg, cid, false, ACTOR, NULL), ERR_OK);
	upload_init(&u, cid, 1, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_FORBIDDEN);
	ck_assert_int_eq(customer_set_status(pg, cid, true, ACTOR, NULL), ERR_OK);
	/* Exactly to the limit is allowed. */
	upload_init(&u, cid, MiB, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, &why, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).used, 10 * MiB);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM files WHERE customer_id='%s'", cid), 4);
	assert_consistent(cid, "record");
}
END_TEST

START_TEST(test_release)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	struct quota_upload u;
	char id[QUOTA_ID_LEN], key[128];

	upload_init(&u, cid, 3 * MiB, "video", "projects", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).reserved, 3 * MiB);
	ck_assert_int_eq(quota_release(pg, cid, id, ACTOR, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).reserved, 0);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM files WHERE customer_id='%s'", cid), 0);
	ck_assert_int_eq(quota_release(pg, cid, id, ACTOR, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(quota_commit(pg, cid, id, NULL, NULL), ERR_NOTFOUND);
	/* The key is free again. */
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	assert_consistent(cid, "release");
}
END_TEST

START_TEST(test_delete)
{
	const char *cid = new_customer(new_plan(100 * MiB, 10 * MiB));
	struct quota_deleted d;
	struct quota_upload u;
	char a[QUOTA_ID_LEN], b[QUOTA_ID_LEN], c[QUOTA_ID_LEN], key[128];

	ck_assert_int_eq(upload(cid, 2 * MiB, "image", "photos", a), ERR_OK);
	ck_assert_int_eq(upload(cid, 3 * MiB, "document", "leases", b), ERR_OK);
	upload_init(&u, cid, 4 * MiB, "document", "leases", key);
	ck_assert_int_eq(quota_reserve(pg, &u, c, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_commit(pg, cid, c, NULL, NULL), ERR_OK);

	ck_assert_int_eq(quota_delete(pg, cid, b, "user-9", &d, NULL), ERR_OK);
	ck_assert_str_eq(d.file_id, b);
	ck_assert_int_eq(d.size, 3 * MiB);
	ck_assert_ptr_nonnull(d.storage_key);
	free(d.storage_key);
	ck_assert_int_eq(info(cid).used, 6 * MiB);
	/* Its own breakdown row, not "general". */
	ck_assert_int_eq(sqlint(pg, "SELECT total_size FROM storage_usage WHERE customer_id='%s'"
	    " AND file_type='document' AND category='leases'", cid), 4 * MiB);
	ck_assert_int_eq(sqlint(pg, "SELECT total_size FROM storage_usage WHERE customer_id='%s'"
	    " AND file_type='image' AND category='photos'", cid), 2 * MiB);

	/* Deleting twice changes nothing. */
	ck_assert_int_eq(quota_delete(pg, cid, b, "user-9", &d, NULL), ERR_NOTFOUND);
	ck_assert_ptr_null(d.storage_key);
	ck_assert_int_eq(info(cid).used, 6 * MiB);

	/* By storage key (the seed's DELETE {"filePath"}). */
	ck_assert_int_eq(quota_delete_key(pg, cid, key, "user-9", &d, NULL), ERR_OK);
	ck_assert_str_eq(d.storage_key, key);
	ck_assert_str_eq(d.file_id, c);
	free(d.storage_key);
	ck_assert_int_eq(quota_delete_key(pg, cid, key, "user-9", &d, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(info(cid).used, 2 * MiB);

	/* A pending file is not deletable (the upload owns it). */
	upload_init(&u, cid, MiB, "image", "photos", key);
	ck_assert_int_eq(quota_reserve(pg, &u, c, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_delete(pg, cid, c, "user-9", &d, NULL), ERR_NOTFOUND);

	/* Object removal is recorded once. */
	ck_assert_int_eq(quota_object_removed(pg, cid, b, NULL), ERR_OK);
	ck_assert_int_eq(quota_object_removed(pg, cid, b, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(quota_object_removed(pg, cid, a, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'"
	    " AND action='delete' AND actor='user-9' AND size IS NOT NULL", cid), 2);
	assert_consistent(cid, "delete");
}
END_TEST

/* The seed's breakdown key: subcategory || category, with the parent. */
static int64_t
breakdown_size(struct json_object *bd, const char *cat, const char *parent)
{
	struct json_object *it, *v;
	size_t i;

	for (i = 0; i < json_object_array_length(bd); i++) {
		it = json_object_array_get_idx(bd, i);
		ck_assert(json_object_object_get_ex(it, "category", &v));
		if (strcmp(json_object_get_string(v), cat) != 0)
			continue;
		ck_assert(json_object_object_get_ex(it, "parentCategory", &v));
		if (strcmp(json_object_get_string(v), parent) != 0)
			continue;
		ck_assert(json_object_object_get_ex(it, "totalSize", &v));
		return json_object_get_int64(v);
	}
	return -1;
}

START_TEST(test_breakdown_subcategory)
{
	const char *cid = new_customer(new_plan(100 * MiB, 10 * MiB));
	struct json_object *o, *bd, *ru, *v;
	struct quota_deleted d;
	struct quota_upload u;
	char id[QUOTA_ID_LEN], lease[QUOTA_ID_LEN], key[128];
	static const char *const subs[] = { "leases", "leases", "contracts", NULL };
	int i;

	for (i = 0; i < 4; i++) {
		upload_init(&u, cid, (i + 1) * MiB, "document", subs[i] ? "documents" : "avatars",
		    key);
		u.subcategory = subs[i];
		ck_assert_int_eq(quota_reserve(pg, &u, i == 0 ? lease : id, NULL, NULL), ERR_OK);
		ck_assert_int_eq(quota_commit(pg, cid, i == 0 ? lease : id, NULL, NULL), ERR_OK);
	}
	ck_assert_int_eq(quota_stats(pg, cid, &o, NULL), ERR_OK);
	ck_assert(json_object_object_get_ex(o, "breakdown", &bd));
	ck_assert_int_eq(json_object_array_length(bd), 3);
	ck_assert_int_eq(breakdown_size(bd, "leases", "documents"), 3 * MiB);
	ck_assert_int_eq(breakdown_size(bd, "contracts", "documents"), 3 * MiB);
	ck_assert_int_eq(breakdown_size(bd, "avatars", "avatars"), 4 * MiB);
	ck_assert(json_object_object_get_ex(o, "recentUploads", &ru));
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(ru, 0), "subcategory", &v));
	ck_assert(json_object_is_type(v, json_type_null));	/* the avatar */
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(ru, 1), "subcategory", &v));
	ck_assert_str_eq(json_object_get_string(v), "contracts");
	json_object_put(o);

	/* A delete decrements its own (type, category, subcategory) row. */
	ck_assert_int_eq(quota_delete(pg, cid, lease, "user-9", &d, NULL), ERR_OK);
	free(d.storage_key);
	ck_assert_int_eq(quota_stats(pg, cid, &o, NULL), ERR_OK);
	ck_assert(json_object_object_get_ex(o, "breakdown", &bd));
	ck_assert_int_eq(breakdown_size(bd, "leases", "documents"), 2 * MiB);
	ck_assert_int_eq(breakdown_size(bd, "contracts", "documents"), 3 * MiB);
	json_object_put(o);
	assert_consistent(cid, "subcategory breakdown");

	/* Recalculation repairs a subcategory row and reports it the seed's way. */
	sql1(pg, "UPDATE storage_usage SET total_size = total_size + 5 WHERE customer_id = '%s'"
	    " AND subcategory = 'contracts'", cid);
	{
		struct quota_drift dr;
		struct json_object *rows, *r;

		ck_assert_int_eq(quota_recalculate(pg, cid, ACTOR, &dr, NULL), ERR_OK);
		ck_assert_int_eq(dr.rows_changed, 1);
		ck_assert(json_object_object_get_ex(dr.detail, "breakdown", &rows));
		r = json_object_array_get_idx(rows, 0);
		ck_assert(json_object_object_get_ex(r, "category", &v));
		ck_assert_str_eq(json_object_get_string(v), "contracts");
		ck_assert(json_object_object_get_ex(r, "parentCategory", &v));
		ck_assert_str_eq(json_object_get_string(v), "documents");
		ck_assert(json_object_object_get_ex(r, "sizeDrift", &v));
		ck_assert_int_eq(json_object_get_int64(v), 5);
		json_object_put(dr.detail);
	}
	assert_consistent(cid, "subcategory recalculated");
}
END_TEST

START_TEST(test_tenant_isolation)
{
	const char *plan = new_plan(100 * MiB, 10 * MiB);
	const char *ca = new_customer(plan), *cb = new_customer(plan);
	char fa[QUOTA_ID_LEN], pa[QUOTA_ID_LEN], key[128];
	struct quota_deleted d;
	struct quota_upload u;

	ck_assert_int_eq(upload(ca, 5 * MiB, "image", "photos", fa), ERR_OK);
	upload_init(&u, ca, MiB, "image", "photos", key);
	ck_assert_int_eq(quota_reserve(pg, &u, pa, NULL, NULL), ERR_OK);
	/* B knows A's ids and key: none of it works. */
	ck_assert_int_eq(quota_delete(pg, cb, fa, "b", &d, NULL), ERR_NOTFOUND);
	ck_assert_int_eq(quota_delete_key(pg, cb,
	    sql1(pg, "SELECT storage_key FROM files WHERE id='%s'", fa), "b", &d, NULL),
	    ERR_NOTFOUND);
	ck_assert_int_eq(quota_commit(pg, cb, pa, "b", NULL), ERR_NOTFOUND);
	ck_assert_int_eq(quota_release(pg, cb, pa, "b", NULL), ERR_NOTFOUND);
	/* A's key in B's namespace is a different file: B is charged, A not. */
	upload_init(&u, cb, MiB, "image", "photos", key);
	u.storage_key = sql1(pg, "SELECT storage_key FROM files WHERE id='%s'", fa);
	ck_assert_int_eq(quota_reserve(pg, &u, pa, NULL, NULL), ERR_OK);
	ck_assert_int_eq(info(ca).used, 5 * MiB);
	ck_assert_int_eq(info(ca).reserved, MiB);
	ck_assert_int_eq(info(cb).reserved, MiB);
	assert_consistent(ca, "isolation a");
	assert_consistent(cb, "isolation b");
}
END_TEST

/* ------------------------------------------------------- limits and plans */

START_TEST(test_unlimited)
{
	const char *cid = new_customer("enterprise");
	struct json_object *o, *v;
	struct quota_info q;
	char id[QUOTA_ID_LEN];
	int i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(upload(cid, 50 * MiB, "video", "projects", id), ERR_OK);
	q = info(cid);
	ck_assert(q.unlimited);
	ck_assert_int_eq(q.used, 250 * MiB);
	ck_assert(q.percentage == 0.0);
	o = quota_info_json(&q);
	ck_assert(json_object_object_get_ex(o, "limit", &v) && v == NULL);
	ck_assert(json_object_object_get_ex(o, "limitFormatted", &v));
	ck_assert_str_eq(json_object_get_string(v), "Unlimited");
	json_object_put(o);
	/* A test plan with no limit and a huge max: any size is accepted. */
	cid = new_customer(new_plan(-1, INT64_C(1) << 50));
	ck_assert_int_eq(upload(cid, INT64_C(1) << 45, "video", "projects", id), ERR_OK);
	ck_assert_int_eq(upload(cid, INT64_C(1) << 45, "video", "projects", id), ERR_OK);
	ck_assert_int_eq(info(cid).used, INT64_C(1) << 46);
	assert_consistent(cid, "unlimited");
}
END_TEST

START_TEST(test_override)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	struct quota_limit l = { QUOTA_LIMIT_BYTES, 20 * MiB };
	struct json_object *o, *v;
	char id[QUOTA_ID_LEN];

	ck_assert_int_eq(upload(cid, 8 * MiB, "image", "photos", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 8 * MiB, "image", "photos", id), ERR_QUOTA);
	ck_assert_int_eq(customer_set_limit(pg, cid, &l, ACTOR, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).limit, 20 * MiB);
	ck_assert_int_eq(upload(cid, 8 * MiB, "image", "photos", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 8 * MiB, "image", "photos", id), ERR_QUOTA);
	ck_assert_int_eq(customer_show(pg, cid, &o, NULL), ERR_OK);
	ck_assert(json_object_object_get_ex(o, "limitSource", &v));
	ck_assert_str_eq(json_object_get_string(v), "override");
	json_object_put(o);
	l.kind = QUOTA_LIMIT_UNLIMITED;
	ck_assert_int_eq(customer_set_limit(pg, cid, &l, ACTOR, NULL), ERR_OK);
	ck_assert(info(cid).unlimited);
	ck_assert_int_eq(upload(cid, 8 * MiB, "image", "photos", id), ERR_OK);
	l.kind = QUOTA_LIMIT_PLAN;
	ck_assert_int_eq(customer_set_limit(pg, cid, &l, ACTOR, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).limit, 10 * MiB);
	ck_assert_int_eq(upload(cid, 1, "image", "photos", id), ERR_QUOTA);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'"
	    " AND action='customer.limit'", cid), 3);
	assert_consistent(cid, "override");
}
END_TEST

START_TEST(test_plan_below_usage)
{
	const char *big = new_plan(10 * MiB, 10 * MiB), *small = new_plan(5 * MiB, 10 * MiB);
	const char *cid = new_customer(big);
	char id[QUOTA_ID_LEN], ids[4][QUOTA_ID_LEN];
	struct quota_deleted d;
	struct quota_drift dr;
	struct quota_info q;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(upload(cid, 2 * MiB, "document", "invoices", ids[i]), ERR_OK);
	ck_assert_int_eq(customer_set_plan(pg, cid, small, ACTOR, NULL), ERR_OK);
	q = info(cid);
	ck_assert_int_eq(q.used, 8 * MiB);
	ck_assert_int_eq(q.limit, 5 * MiB);
	ck_assert_int_eq(q.available, 0);
	ck_assert(q.percentage == 160.0);
	ck_assert_int_eq(upload(cid, 1, "document", "invoices", id), ERR_QUOTA);
	/* Deletes are allowed, nothing is lost. */
	ck_assert_int_eq(quota_delete(pg, cid, ids[0], ACTOR, &d, NULL), ERR_OK);
	free(d.storage_key);
	ck_assert_int_eq(info(cid).used, 6 * MiB);
	ck_assert_int_eq(upload(cid, 1, "document", "invoices", id), ERR_QUOTA);
	ck_assert_int_eq(quota_delete(pg, cid, ids[1], ACTOR, &d, NULL), ERR_OK);
	free(d.storage_key);
	ck_assert_int_eq(upload(cid, MiB, "document", "invoices", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 1, "document", "invoices", id), ERR_QUOTA);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM files WHERE customer_id='%s'"
	    " AND state='stored'", cid), 3);
	ck_assert_int_eq(quota_recalculate(pg, cid, ACTOR, &dr, NULL), ERR_OK);
	ck_assert_int_eq(dr.used_before, dr.used_after);
	ck_assert_int_eq(dr.rows_changed, 0);
	json_object_put(dr.detail);
	assert_consistent(cid, "plan below usage");
}
END_TEST

/* ----------------------------------------------------------------- audit */

START_TEST(test_audit)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	char id[QUOTA_ID_LEN];
	struct quota_deleted d;
	struct quota_drift dr;
	PGresult *r;

	ck_assert_int_eq(upload(cid, 1234, "image", "avatars", id), ERR_OK);
	ck_assert_int_eq(quota_delete(pg, cid, id, "admin-7", &d, NULL), ERR_OK);
	free(d.storage_key);
	ck_assert_int_eq(quota_recalculate(pg, cid, "platform-1", &dr, NULL), ERR_OK);
	json_object_put(dr.detail);
	/* One row per action, with who, what, size and when. */
	ck_assert_str_eq(sql1(pg, "SELECT string_agg(action || ':' || coalesce(actor, '-') || ':'"
	    " || coalesce(size::text, '-') || ':' || coalesce(file_id::text = '%s', false)"
	    " || ':' || (created_at IS NOT NULL), ',' ORDER BY id)"
	    " FROM audit_log WHERE customer_id = '%s'", id, cid),
	    "customer.create:check_quota:-:false:true,upload:user-1:1234:true:true,"
	    "delete:admin-7:1234:true:true,recalculate:platform-1:0:false:true");
	/* Append-only, even for the table's owner (we are the owner). */
	ck_assert_str_eq(sql1(pg, "SELECT tableowner FROM pg_tables WHERE tablename='audit_log'"),
	    sql1(pg, "SELECT current_user"));
	r = PQexec(pg, "UPDATE audit_log SET actor = 'x' WHERE action = 'upload'");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	ck_assert_str_eq(db_sqlstate(r), "42501");
	PQclear(r);
	r = PQexec(pg, "DELETE FROM audit_log WHERE action = 'upload'");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	r = PQexec(pg, "TRUNCATE audit_log");
	ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'", cid), 4);
}
END_TEST

/* ----------------------------------------------------------------- stats */

START_TEST(test_stats)
{
	const char *cid = new_customer(new_plan(100 * MiB, 10 * MiB));
	struct json_object *o, *quota, *bd, *ru, *it, *v;
	char id[QUOTA_ID_LEN];
	double sum = 0;
	size_t i;

	/* Empty: no NaN anywhere. */
	ck_assert_int_eq(quota_stats(pg, cid, &o, NULL), ERR_OK);
	ck_assert(json_object_object_get_ex(o, "breakdown", &bd));
	ck_assert_int_eq(json_object_array_length(bd), 0);
	json_object_put(o);

	for (i = 0; i < 12; i++)
		ck_assert_int_eq(upload(cid, (int64_t)(i + 1) * MiB / 2, i % 3 ? "image" : "document",
		    i % 2 ? "photos" : "leases", id), ERR_OK);
	ck_assert_int_eq(quota_stats(pg, cid, &o, NULL), ERR_OK);
	ck_assert(json_object_object_get_ex(o, "quota", &quota));
	ck_assert(json_object_object_get_ex(quota, "used", &v));
	ck_assert_int_eq(json_object_get_int64(v), 39 * MiB);
	ck_assert(json_object_object_get_ex(quota, "usedFormatted", &v));
	ck_assert_str_eq(json_object_get_string(v), "39 MiB");
	ck_assert(json_object_object_get_ex(o, "breakdown", &bd));
	ck_assert_int_eq(json_object_array_length(bd), 4);
	for (i = 0; i < json_object_array_length(bd); i++) {
		it = json_object_array_get_idx(bd, i);
		ck_assert(json_object_object_get_ex(it, "percentage", &v));
		sum += json_object_get_double(v);
		ck_assert(json_object_object_get_ex(it, "fileType", &v));
		ck_assert(json_object_object_get_ex(it, "fileCount", &v));
		ck_assert(json_object_object_get_ex(it, "totalSizeFormatted", &v));
	}
	ck_assert_msg(sum > 99.9 && sum < 100.1, "breakdown percentages sum to %f", sum);
	ck_assert(json_object_object_get_ex(o, "recentUploads", &ru));
	ck_assert_int_eq(json_object_array_length(ru), 10);
	it = json_object_array_get_idx(ru, 0);
	ck_assert(json_object_object_get_ex(it, "fileSize", &v));
	ck_assert_int_eq(json_object_get_int64(v), 6 * MiB);	/* the newest */
	ck_assert(json_object_object_get_ex(it, "uploadedBy", &v));
	ck_assert_str_eq(json_object_get_string(v), "user-1");
	ck_assert(json_object_object_get_ex(it, "uploadedAt", &v));
	ck_assert_int_eq(strlen(json_object_get_string(v)), 24);
	json_object_put(o);
	ck_assert_int_eq(quota_stats(pg, "00000000-0000-4000-8000-000000000000", &o, NULL),
	    ERR_NOTFOUND);
	ck_assert_ptr_null(o);
}
END_TEST

/* ----------------------------------------------------------------- races */

/* In a child we forked: Check's runner installed SIGTERM/SIGINT/SIGALRM
 * handlers that killpg() the whole test's process group; a child must not
 * inherit them, or signalling it would end the test itself. */
static void
child_init(void)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

/* Fork n children that each run fn(i) on their own connection after a
 * common start signal; returns how many exited 0. */
static int
run_children(int n, int (*fn)(PGconn *c, int i, void *arg), void *arg)
{
	int fds[2], i, ok = 0, st;
	pid_t pid, pids[64];
	char ch;

	ck_assert_int_le(n, 64);

	ck_assert_int_eq(pipe(fds), 0);
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == 0) {
			PGconn *c;
			int rc;

			child_init();
			close(fds[1]);
			/* Never touch the parent's connection: PQfinish on it
			 * would end the parent's session. */
			c = PQconnectdb(dburl);
			if (PQstatus(c) != CONNECTION_OK)
				_exit(3);
			/* EOF: everybody go.  (Not (void): warn_unused_result
			 * under _FORTIFY_SOURCE ignores the cast.) */
			if (read(fds[0], &ch, 1) < 0)
				_exit(3);
			rc = fn(c, i, arg);
			PQfinish(c);
			_exit(rc);
		}
		ck_assert_int_gt(pid, 0);
		pids[i] = pid;
	}
	close(fds[0]);
	usleep(300 * 1000);	/* let them connect */
	close(fds[1]);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
			    "child failed unexpectedly (status %d)", st);
	}
	return ok;
}

/*
 * One quota step run by a forked child while another session holds the
 * customer's row, changing its plan; the plan change commits once the
 * child waits on that row.  PostgreSQL then rechecks the child's
 * statement against the new row: a statement that joined plans would
 * match nothing and leave the counters unmoved.
 */
enum step { STEP_RESERVE, STEP_COMMIT, STEP_DELETE };

static void
step_while_plan_changes(const char *cid, const char *to_plan, enum step step,
    const char *file_id, char out_id[QUOTA_ID_LEN])
{
	PGconn *other = connect_url();
	int fds[2], st, waiting = 0, i;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	sql1(other, "BEGIN");
	sql1(other, "UPDATE customers SET plan = '%s' WHERE customer_id = '%s'", to_plan, cid);
	if ((pid = fork()) == 0) {
		struct quota_upload u;
		struct quota_deleted d;
		char key[128], id[QUOTA_ID_LEN] = "";
		PGconn *c;
		enum err rc;

		child_init();
		close(fds[0]);
		if (PQstatus(c = PQconnectdb(dburl)) != CONNECTION_OK)
			_exit(3);
		if (step == STEP_RESERVE) {
			upload_init(&u, cid, MiB, "document", "invoices", key);
			rc = quota_reserve(c, &u, id, NULL, NULL);
		} else if (step == STEP_COMMIT)
			rc = quota_commit(c, cid, file_id, ACTOR, NULL);
		else {
			rc = quota_delete(c, cid, file_id, ACTOR, &d, NULL);
			free(rc == ERR_OK ? d.storage_key : NULL);
		}
		if (write(fds[1], id, sizeof(id)) != (ssize_t)sizeof(id))
			_exit(3);
		PQfinish(c);
		_exit(rc == ERR_OK ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	close(fds[1]);
	/* Until the child's statement waits for the row lock we hold. */
	for (i = 0; i < 100 && !waiting; i++) {
		waiting = sqlint(pg, "SELECT count(*) FROM pg_stat_activity WHERE"
		    " datname = current_database() AND wait_event_type = 'Lock'") > 0;
		if (!waiting)
			usleep(50 * 1000);
	}
	ck_assert_msg(waiting, "the child never waited for the customer's row");
	sql1(other, "COMMIT");
	ck_assert_int_eq(read(fds[0], out_id, QUOTA_ID_LEN), QUOTA_ID_LEN);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "step %d failed while the plan changed (status %d)", (int)step, st);
	PQfinish(other);
}

START_TEST(test_plan_change_while_waiting)
{
	const char *a = new_plan(10 * MiB, 5 * MiB), *b = new_plan(20 * MiB, 5 * MiB);
	const char *cid = new_customer(a);
	char id[QUOTA_ID_LEN], unused[QUOTA_ID_LEN];
	struct quota_info q;

	step_while_plan_changes(cid, b, STEP_RESERVE, NULL, id);
	ck_assert_int_eq(strlen(id), 36);
	ck_assert_int_eq(info(cid).reserved, MiB);
	step_while_plan_changes(cid, a, STEP_COMMIT, id, unused);
	q = info(cid);
	ck_assert_int_eq(q.used, MiB);
	ck_assert_int_eq(q.reserved, 0);
	ck_assert_int_eq(q.limit, 10 * MiB);
	/* The commit's breakdown, audit row and event exist, with the new limit. */
	ck_assert_int_eq(sqlint(pg, "SELECT total_size FROM storage_usage WHERE customer_id='%s'"
	    " AND file_type='document' AND category='invoices'", cid), MiB);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'"
	    " AND action='upload' AND file_id='%s'", cid, id), 1);
	ck_assert_int_eq(sqlint(pg, "SELECT quota_limit FROM storage_events WHERE customer_id='%s'"
	    " AND type='file.uploaded' AND file_id='%s'", cid, id), 10 * MiB);
	step_while_plan_changes(cid, b, STEP_DELETE, id, unused);
	q = info(cid);
	ck_assert_int_eq(q.used, 0);
	ck_assert_int_eq(sqlint(pg, "SELECT quota_limit FROM storage_events WHERE customer_id='%s'"
	    " AND type='file.deleted' AND file_id='%s'", cid, id), 20 * MiB);
	assert_consistent(cid, "plan changes while waiting");
}
END_TEST

/* 0: uploaded, 1: refused for quota, else a failure. */
static int
race_one_mib(PGconn *c, int i, void *arg)
{
	char id[QUOTA_ID_LEN];
	enum err rc;

	(void)i;
	rc = upload_on(c, arg, MiB, "image", "photos", id);
	return rc == ERR_OK ? 0 : rc == ERR_QUOTA ? 1 : 2;
}

/* The same race through the one-statement upload. */
static int
race_record_one_mib(PGconn *c, int i, void *arg)
{
	struct quota_upload u;
	char id[QUOTA_ID_LEN], key[128];
	enum err rc;

	(void)i;
	upload_init(&u, arg, MiB, "image", "photos", key);
	rc = quota_record(c, &u, id, NULL, NULL);
	return rc == ERR_OK ? 0 : rc == ERR_QUOTA ? 1 : 2;
}

START_TEST(test_race_record)
{
	char cid[QUOTA_ID_LEN];
	struct quota_info q;
	int ok;

	snprintf(cid, sizeof(cid), "%s", new_customer(new_plan(20 * MiB, 2 * MiB)));
	ok = run_children(50, race_record_one_mib, cid);
	q = info(cid);
	ck_assert_int_eq(ok, 20);
	ck_assert_int_eq(q.used, 20 * MiB);
	ck_assert_int_eq(q.reserved, 0);
	assert_consistent(cid, "race record");
}
END_TEST

START_TEST(test_race_fixed)
{
	char cid[QUOTA_ID_LEN];
	struct quota_info q;
	int ok;

	snprintf(cid, sizeof(cid), "%s", new_customer(new_plan(20 * MiB, 2 * MiB)));
	ok = run_children(50, race_one_mib, cid);
	q = info(cid);

	ck_assert_int_eq(ok, 20);
	ck_assert_int_eq(q.used, 20 * MiB);
	ck_assert_int_eq(q.reserved, 0);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM files WHERE customer_id='%s'"
	    " AND state='stored'", cid), 20);
	assert_consistent(cid, "race fixed");
}
END_TEST

/* Random uploads (some abandoned as failed writes) and deletes of own files. */
static int
race_mixed(PGconn *c, int i, void *arg)
{
	char ids[16][QUOTA_ID_LEN], id[QUOTA_ID_LEN], key[128];
	unsigned seed = (unsigned)i * 7919u + 17u;
	struct quota_deleted d;
	struct quota_upload u;
	int n = 0, k, op;
	enum err rc;

	for (k = 0; k < 20; k++) {
		op = rand_r(&seed) % 10;
		if (op < 2 && n > 0) {
			rc = quota_delete(c, arg, ids[--n], "racer", &d, NULL);
			free(d.storage_key);
			if (rc != ERR_OK)
				return 2;
			continue;
		}
		upload_init(&u, arg, 1 + rand_r(&seed) % (3 * MiB), "image", "photos", key);
		/* Both upload shapes at once: one-statement records and
		 * reserve-write-commit (one database, two backends' pools). */
		rc = op == 8 ? quota_record(c, &u, id, NULL, NULL) :
		    quota_reserve(c, &u, id, NULL, NULL);
		if (rc == ERR_QUOTA)
			continue;
		if (rc != ERR_OK)
			return 2;
		if (op == 8)
			rc = ERR_OK;
		else if (op == 9)
			rc = quota_release(c, arg, id, "racer", NULL);	/* write failed */
		else
			rc = quota_commit(c, arg, id, NULL, NULL);
		if (rc != ERR_OK)
			return 2;
		if (op != 9 && n < 16)
			snprintf(ids[n++], QUOTA_ID_LEN, "%s", id);
	}
	return 0;
}

START_TEST(test_race_mixed)
{
	char cid[QUOTA_ID_LEN];
	int64_t peak = 0, v;
	int st, stop[2];
	pid_t mon;

	snprintf(cid, sizeof(cid), "%s", new_customer(new_plan(20 * MiB, 4 * MiB)));

	/* A watcher samples used + reserved while the racers run, until the
	 * stop pipe closes. */
	ck_assert_int_eq(pipe(stop), 0);
	if ((mon = fork()) == 0) {
		struct pollfd pfd;
		PGconn *c;
		char q[256];
		PGresult *r;

		child_init();
		close(stop[1]);
		pfd.fd = stop[0];
		pfd.events = POLLIN;
		c = PQconnectdb(dburl);
		snprintf(q, sizeof(q), "SELECT storage_used + storage_reserved FROM customers"
		    " WHERE customer_id = '%s'", cid);
		while (poll(&pfd, 1, 0) == 0) {
			r = PQexec(c, q);
			if (PQresultStatus(r) == PGRES_TUPLES_OK &&
			    (v = strtoll(PQgetvalue(r, 0, 0), NULL, 10)) > peak)
				peak = v;
			PQclear(r);
			if (peak > 20 * MiB)
				_exit(9);
		}
		PQfinish(c);
		_exit(0);
	}
	ck_assert_int_gt(mon, 0);
	close(stop[0]);
	ck_assert_int_eq(run_children(50, race_mixed, cid), 50);
	close(stop[1]);
	ck_assert_int_eq(waitpid(mon, &st, 0), mon);
	ck_assert_msg(WIFEXITED(st), "the watcher died (status %d)", st);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 9), "used + reserved went over the limit");
	ck_assert_int_le(info(cid).used, 20 * MiB);
	ck_assert_int_eq(info(cid).reserved, 0);
	assert_consistent(cid, "race mixed");
}
END_TEST

/* ------------------------------------------------ settle and recalculate */

struct verdicts {
	const char *prefix;	/* only our test's keys; others: -1 */
	int mode;		/* 0: by key parity, 1: all complete, 2: all missing */
};

static int
judge(void *arg, const char *key, int64_t size)
{
	const struct verdicts *v = arg;
	size_t n = strlen(key);

	(void)size;
	if (strncmp(key, v->prefix, strlen(v->prefix)) != 0)
		return -1;
	if (v->mode == 1)
		return 1;
	if (v->mode == 2)
		return 0;
	return (key[n - 1] - '0') % 2 == 0;	/* hex digit parity, roughly */
}

static int
judge_row(void *arg, const struct quota_pending *p)
{
	return judge(arg, p->storage_key, p->size);
}

static int
settle_child(PGconn *c, int i, void *arg)
{
	struct quota_settled s;

	(void)i;
	/* Counts go to the audit trail: an exit status is too narrow. */
	return quota_settle_pending(c, NULL, 0, 7, judge_row, NULL, arg, "reconciler", &s, NULL) == ERR_OK ?
	    0 : 2;
}

START_TEST(test_settle_concurrent)
{
	const char *cid = new_customer(new_plan(1000 * MiB, 10 * MiB));
	char id[QUOTA_ID_LEN], key[128], prefix[64];
	struct verdicts v;
	struct quota_upload u;
	int64_t expect_used = 0;
	int i;

	snprintf(prefix, sizeof(prefix), "customers/%s/", cid);
	v.prefix = prefix;
	v.mode = 0;
	for (i = 0; i < 40; i++) {
		upload_init(&u, cid, (i + 1) * 1000, "document", "receipts", key);
		ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
		if (judge(&v, key, 0) == 1)
			expect_used += (i + 1) * 1000;
	}
	/* Two reconcilers at once: each row settled exactly once. */
	ck_assert_int_eq(run_children(2, settle_child, &v), 2);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM files WHERE customer_id='%s'"
	    " AND state='pending'", cid), 0);
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM audit_log WHERE customer_id='%s'"
	    " AND action IN ('upload', 'release') AND actor = 'reconciler'", cid), 40);
	ck_assert_int_eq(info(cid).used, expect_used);
	ck_assert_int_eq(info(cid).reserved, 0);
	assert_consistent(cid, "settle");

	/* "Cannot tell" leaves the row pending and the reservation held. */
	upload_init(&u, cid, 777, "document", "receipts", key);
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	v.prefix = "no-such-prefix/";
	{
		struct quota_settled s;

		ck_assert_int_eq(quota_settle_pending(pg, NULL, 0, 1000, judge_row, NULL, &v, "reconciler", &s,
		    NULL), ERR_OK);
		ck_assert_int_ge(s.skipped, 1);
	}
	ck_assert_int_eq(info(cid).reserved, 777);
	/* A young row is not touched at all. */
	v.prefix = prefix;
	v.mode = 2;
	{
		struct quota_settled s;

		ck_assert_int_eq(quota_settle_pending(pg, NULL, 3600, 1000, judge_row, NULL, &v, "reconciler", &s,
		    NULL), ERR_OK);
		ck_assert_int_eq(s.released, 0);
	}
	ck_assert_int_eq(info(cid).reserved, 777);
}
END_TEST

/*
 * What a listener on coffer_events receives for customer cid, in order, until
 * want notes arrived (10 s at most): "type[/threshold]" joined by spaces.
 */
static char *
wait_notes(PGconn *l, const char *cid, int want)
{
	static char got[512];
	struct pollfd pfd;
	PGnotify *n;
	time_t until = time(NULL) + 10;
	int have = 0;

	got[0] = '\0';
	while (have < want && time(NULL) < until) {
		pfd.fd = PQsocket(l);
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 200);
		ck_assert_int_eq(PQconsumeInput(l), 1);
		while ((n = PQnotifies(l)) != NULL) {
			const char *t = strstr(n->extra, "\"type\" : \"");
			const char *th = strstr(n->extra, "\"threshold\" : ");

			if (strstr(n->extra, cid) != NULL && t != NULL && th != NULL) {
				t += strlen("\"type\" : \"");
				th += strlen("\"threshold\" : ");
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s%s%.*s",
				    have > 0 ? " " : "", (int)strcspn(t, "\""), t,
				    strncmp(th, "null", 4) == 0 ? "" : "/", (int)strcspn(th, " }"),
				    strncmp(th, "null", 4) == 0 ? "" : th);
				have++;
			}
			PQfreemem(n);
		}
	}
	return got;
}

/*
 * Uploads and deletes are announced after they commit (sql/011), by every
 * path that writes their events: record, reserve + commit, delete, and the
 * reconciler's settling of a pending upload; a refusal announces nothing.
 */
START_TEST(test_announce)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	const char *direct = getenv("COFFER_PG_DIRECT_URL");
	struct quota_deleted del;
	struct quota_settled st;
	struct quota_upload u;
	struct verdicts v;
	char id[QUOTA_ID_LEN], key[128], prefix[64];
	PGconn *l;
	PGresult *res;

	/* LISTEN needs a session: never through a transaction pooler. */
	l = PQconnectdb(pooled && direct != NULL ? direct : dburl);
	ck_assert_int_eq(PQstatus(l), CONNECTION_OK);
	res = PQexec(l, "LISTEN coffer_events");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);

	upload_init(&u, cid, 8 * MiB + 1, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, NULL, NULL), ERR_OK);
	ck_assert_str_eq(wait_notes(l, cid, 2), "file.uploaded quota.threshold/80");
	upload_init(&u, cid, 3 * MiB, "image", "photos", key);
	ck_assert_int_eq(quota_record(pg, &u, id, NULL, NULL), ERR_QUOTA);
	ck_assert_int_eq(upload(cid, MiB, "image", "photos", id), ERR_OK);
	ck_assert_str_eq(wait_notes(l, cid, 2), "file.uploaded quota.threshold/90");
	ck_assert_int_eq(quota_delete(pg, cid, id, ACTOR, &del, NULL), ERR_OK);
	free(del.storage_key);
	ck_assert_str_eq(wait_notes(l, cid, 1), "file.deleted");

	snprintf(prefix, sizeof(prefix), "customers/%s/", cid);
	v.prefix = prefix;
	v.mode = 1;
	upload_init(&u, cid, MiB - 2, "image", "photos", key);	/* below 90 % */
	ck_assert_int_eq(quota_reserve(pg, &u, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_settle_pending(pg, cid, 0, 10, judge_row, NULL, &v, "reconciler", &st,
	    NULL), ERR_OK);
	ck_assert_int_eq(st.committed, 1);
	ck_assert_str_eq(wait_notes(l, cid, 1), "file.uploaded");
	/* The outbox holds them all, marked as announced by their writer. */
	ck_assert_int_eq(sqlint(pg, "SELECT count(*) FROM storage_events WHERE customer_id='%s'"
	    " AND announce_after_commit", cid), 6);
	PQfinish(l);
}
END_TEST

/* Recalculation reports exactly the drift it repairs. */
START_TEST(test_recalculate_drift)
{
	const char *cid = new_customer(new_plan(100 * MiB, 10 * MiB));
	struct json_object *rows, *r, *v;
	char id[QUOTA_ID_LEN];
	struct quota_drift d;

	ck_assert_int_eq(upload(cid, 3 * MiB, "image", "photos", id), ERR_OK);
	ck_assert_int_eq(upload(cid, 2 * MiB, "document", "leases", id), ERR_OK);
	ck_assert_int_eq(quota_recalculate(pg, cid, ACTOR, &d, NULL), ERR_OK);
	ck_assert_int_eq(d.used_before, 5 * MiB);
	ck_assert_int_eq(d.used_after, 5 * MiB);
	ck_assert_int_eq(d.rows_changed, 0);
	json_object_put(d.detail);

	sql1(pg, "UPDATE customers SET storage_used = storage_used + 12345,"
	    " storage_reserved = storage_reserved + 99 WHERE customer_id = '%s'", cid);
	sql1(pg, "UPDATE storage_usage SET total_size = total_size + 777, file_count = 5"
	    " WHERE customer_id = '%s' AND category = 'photos'", cid);
	sql1(pg, "INSERT INTO storage_usage (customer_id, file_type, category, file_count,"
	    " total_size) VALUES ('%s', 'other', 'general', 1, 55)", cid);
	ck_assert_int_eq(quota_recalculate(pg, cid, ACTOR, &d, NULL), ERR_OK);
	ck_assert_int_eq(d.used_before - d.used_after, 12345);
	ck_assert_int_eq(d.reserved_before - d.reserved_after, 99);
	ck_assert_int_eq(d.rows_changed, 2);
	ck_assert(json_object_object_get_ex(d.detail, "breakdown", &rows));
	r = json_object_array_get_idx(rows, 0);		/* ordered: image/photos, other/general */
	ck_assert(json_object_object_get_ex(r, "sizeDrift", &v));
	ck_assert_int_eq(json_object_get_int64(v), 777);
	ck_assert(json_object_object_get_ex(r, "countBefore", &v));
	ck_assert_int_eq(json_object_get_int64(v), 5);
	ck_assert(json_object_object_get_ex(r, "countAfter", &v));
	ck_assert_int_eq(json_object_get_int64(v), 1);
	r = json_object_array_get_idx(rows, 1);
	ck_assert(json_object_object_get_ex(r, "category", &v));
	ck_assert_str_eq(json_object_get_string(v), "general");
	ck_assert(json_object_object_get_ex(r, "sizeDrift", &v));
	ck_assert_int_eq(json_object_get_int64(v), 55);
	json_object_put(d.detail);
	assert_consistent(cid, "after repair");
	ck_assert_str_eq(sql1(pg, "SELECT detail->'used'->>'drift' FROM audit_log WHERE"
	    " customer_id = '%s' AND action = 'recalculate' ORDER BY id DESC LIMIT 1", cid), "12345");
	ck_assert_int_eq(quota_recalculate(pg, "00000000-0000-4000-8000-000000000000", ACTOR, &d,
	    NULL), ERR_NOTFOUND);
}
END_TEST

/* A seeded random history; the seed is in every failure message. */
struct model_file {
	char		 cid[QUOTA_ID_LEN];
	char		 id[QUOTA_ID_LEN];
	char		 key[128];
	int64_t		 size;
	int		 state;		/* 0 pending (abandoned), 1 stored, 2 deleted */
	int		 complete;	/* for abandoned: the object made it */
};

static unsigned prop_seed;

static int
prop_judge(void *arg, const char *key, int64_t size)
{
	struct model_file *f = arg;
	int i;

	(void)size;
	for (i = 0; i < 400; i++)
		if (f[i].key[0] != '\0' && strcmp(f[i].key, key) == 0)
			return f[i].complete;
	return -1;
}

static int
prop_judge_row(void *arg, const struct quota_pending *p)
{
	return prop_judge(arg, p->storage_key, p->size);
}

START_TEST(test_property)
{
	static const char *types[] = { "image", "document", "video", "other" };
	static const char *cats[] = { "photos", "leases", "invoices", "avatars", "permits" };
	const char *plan = new_plan(40 * MiB, 4 * MiB);
	struct model_file *files = calloc(400, sizeof(*files)), *f;
	const char *cids[3];
	char key[128];
	struct quota_upload u;
	struct quota_deleted d;
	struct quota_settled s;
	struct quota_drift dr;
	int64_t expect[3] = { 0, 0, 0 };
	int nf = 0, step, c, op, j, stored;
	enum err rc;
	const char *env = getenv("QUOTA_SEED");

	prop_seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	printf("test_property: QUOTA_SEED=%u\n", prop_seed);
	srand(prop_seed);
	for (c = 0; c < 3; c++)
		cids[c] = new_customer(plan);
	for (step = 0; step < 300 && nf < 400; step++) {
		c = rand() % 3;
		op = rand() % 100;
		if (op < 50) {			/* upload */
			f = &files[nf];
			upload_init(&u, cids[c], 1 + rand() % (2 * MiB), types[rand() % 4],
			    cats[rand() % 5], key);
			rc = quota_reserve(pg, &u, f->id, NULL, NULL);
			ck_assert_msg(rc == ERR_OK || rc == ERR_QUOTA, "seed %u step %d: reserve %d",
			    prop_seed, step, rc);
			if (rc != ERR_OK)
				continue;
			ck_assert_msg(quota_commit(pg, cids[c], f->id, NULL, NULL) == ERR_OK,
			    "seed %u step %d: commit", prop_seed, step);
			snprintf(f->cid, sizeof(f->cid), "%s", cids[c]);
			snprintf(f->key, sizeof(f->key), "%s", key);
			f->size = u.size;
			f->state = 1;
			expect[c] += u.size;
			nf++;
		} else if (op < 65) {		/* failed write: released */
			upload_init(&u, cids[c], 1 + rand() % MiB, types[rand() % 4],
			    cats[rand() % 5], key);
			rc = quota_reserve(pg, &u, files[nf].id, NULL, NULL);
			if (rc == ERR_OK)
				ck_assert_msg(quota_release(pg, cids[c], files[nf].id, ACTOR, NULL) ==
				    ERR_OK, "seed %u step %d: release", prop_seed, step);
		} else if (op < 75) {		/* abandoned: the worker died */
			f = &files[nf];
			upload_init(&u, cids[c], 1 + rand() % MiB, types[rand() % 4],
			    cats[rand() % 5], key);
			if (quota_reserve(pg, &u, f->id, NULL, NULL) != ERR_OK)
				continue;
			snprintf(f->cid, sizeof(f->cid), "%s", cids[c]);
			snprintf(f->key, sizeof(f->key), "%s", key);
			f->size = u.size;
			f->state = 0;
			f->complete = rand() % 2;
			nf++;
		} else if (nf > 0) {		/* delete, sometimes twice */
			f = &files[rand() % nf];
			rc = rand() % 2 ? quota_delete(pg, f->cid, f->id, ACTOR, &d, NULL) :
			    quota_delete_key(pg, f->cid, f->key, ACTOR, &d, NULL);
			free(d.storage_key);
			ck_assert_msg(rc == (f->state == 1 ? ERR_OK : ERR_NOTFOUND),
			    "seed %u step %d: delete of a file in state %d gave %d", prop_seed, step,
			    f->state, rc);
			if (f->state == 1) {
				f->state = 2;
				for (j = 0; j < 3; j++)
					if (strcmp(cids[j], f->cid) == 0)
						expect[j] -= f->size;
			}
		}
		if (step % 50 == 0)
			for (j = 0; j < 3; j++)
				ck_assert_msg(info(cids[j]).used == expect[j],
				    "seed %u step %d: used drifted", prop_seed, step);
	}
	/* The reconciler settles the abandoned ones. */
	ck_assert_int_eq(quota_settle_pending(pg, NULL, 0, 50, prop_judge_row, NULL, files, "reconciler",
	    &s, NULL), ERR_OK);
	for (j = 0; j < nf; j++) {
		f = &files[j];
		if (f->state != 0)
			continue;
		stored = f->complete;
		f->state = stored ? 1 : 3;
		for (c = 0; c < 3; c++)
			if (stored && strcmp(cids[c], f->cid) == 0)
				expect[c] += f->size;
	}
	for (c = 0; c < 3; c++) {
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "seed %u customer %d", prop_seed, c);
		ck_assert_msg(info(cids[c]).used == expect[c], "%s: used %" PRId64 " != model %"
		    PRId64, ctx, info(cids[c]).used, expect[c]);
		assert_consistent(cids[c], ctx);
		ck_assert_int_eq(quota_recalculate(pg, cids[c], ACTOR, &dr, NULL), ERR_OK);
		ck_assert_msg(dr.used_before == dr.used_after && dr.rows_changed == 0 &&
		    dr.reserved_before == dr.reserved_after, "%s: recalculate found drift", ctx);
		json_object_put(dr.detail);
	}
	/* ...and the exact drift once a counter is corrupted on purpose. */
	sql1(pg, "UPDATE customers SET storage_used = storage_used + 12345 WHERE customer_id = '%s'",
	    cids[0]);
	ck_assert_int_eq(quota_recalculate(pg, cids[0], ACTOR, &dr, NULL), ERR_OK);
	ck_assert_msg(dr.used_before - dr.used_after == 12345 && dr.used_after == expect[0],
	    "seed %u: drift %" PRId64, prop_seed, dr.used_before - dr.used_after);
	json_object_put(dr.detail);
	assert_consistent(cids[0], "after repair");
	free(files);
}
END_TEST

/* ------------------------------------------------------------ reconnect */

static struct conf conf;

static void
conf_setup(void)
{
	char errbuf[256];

	/* The default (local) backend needs a download-link key. */
	setenv("COFFER_LINK_SECRET", "check-quota-link-secret-0123456789abcdef", 1);
	ck_assert_msg(conf_load(&conf, NULL, errbuf, sizeof(errbuf)) == ERR_OK, "%s", errbuf);
	db_init(&conf);
}

START_TEST(test_reconnect_terminated)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	PGconn *w, *w2;
	struct quota_info q;
	struct quota_upload u;
	char id[QUOTA_ID_LEN], key[128];
	int pid;
	const char *errstr = NULL;

	conf_setup();
	ck_assert_ptr_nonnull(w = db_conn());
	ck_assert_int_eq(quota_get(w, cid, &q, NULL), ERR_OK);	/* prepares quota_get */
	ck_assert_int_eq(db_ping(), ERR_OK);
	pid = PQbackendPID(w);
	/* A real dropped connection: the server ends the backend. */
	ck_assert_str_eq(sql1(pg, "SELECT pg_terminate_backend(%d)", pid), "t");
	usleep(200 * 1000);
	ck_assert_int_eq(quota_get(w, cid, &q, &errstr), ERR_DB);
	upload_init(&u, cid, 1, "image", "photos", key);
	ck_assert_int_eq(quota_reserve(w, &u, id, NULL, NULL), ERR_DB);
	/* The next request's db_conn() reconnects; statements re-prepare. */
	ck_assert_ptr_nonnull(w2 = db_conn());
	ck_assert_int_ne(PQbackendPID(w2), pid);
	ck_assert_int_eq(quota_get(w2, cid, &q, NULL), ERR_OK);
	ck_assert_int_eq(quota_reserve(w2, &u, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(quota_commit(w2, cid, id, NULL, NULL), ERR_OK);
	ck_assert_int_eq(info(cid).used, 1);
	/* Once the server is back, no request fails: db_conn() notices a
	 * session the server ended while the worker was idle. */
	pid = PQbackendPID(w2);
	ck_assert_str_eq(sql1(pg, "SELECT pg_terminate_backend(%d)", pid), "t");
	usleep(200 * 1000);
	ck_assert_ptr_nonnull(w2 = db_conn());
	ck_assert_int_ne(PQbackendPID(w2), pid);
	ck_assert_int_eq(quota_get(w2, cid, &q, NULL), ERR_OK);
	/* A stale registry entry heals too: DISCARD ALL drops everything. */
	ck_assert_int_eq(db_cmd(w2, "DISCARD ALL", NULL), ERR_OK);
	ck_assert_int_eq(quota_get(w2, cid, &q, NULL), ERR_OK);
	ck_assert_int_eq(db_ping(), ERR_OK);
	db_close();
	conf_free(&conf);
}
END_TEST

/* A transaction left open by a failed request is rolled back by db_conn(). */
START_TEST(test_conn_rollback)
{
	PGconn *w;

	conf_setup();
	ck_assert_ptr_nonnull(w = db_conn());
	ck_assert_int_eq(db_cmd(w, "BEGIN", NULL), ERR_OK);
	ck_assert_int_eq(db_cmd(w, "SELECT 1/0", NULL), ERR_INTERNAL);
	ck_assert_int_eq(PQtransactionStatus(w), PQTRANS_INERROR);
	ck_assert_ptr_eq(db_conn(), w);
	ck_assert_int_eq(PQtransactionStatus(w), PQTRANS_IDLE);
	db_close();
	conf_free(&conf);
}
END_TEST

/* The cluster really stops and starts (commands from the environment). */
START_TEST(test_restart)
{
	const char *cid = new_customer(new_plan(10 * MiB, 10 * MiB));
	struct quota_info q;
	PGconn *w;
	int pid, tries;

	conf_setup();
	ck_assert_ptr_nonnull(w = db_conn());
	ck_assert_int_eq(quota_get(w, cid, &q, NULL), ERR_OK);
	pid = PQbackendPID(w);
	ck_assert_msg(system(getenv("QUOTA_PG_STOP")) == 0, "QUOTA_PG_STOP failed");
	ck_assert_int_eq(quota_get(w, cid, &q, NULL), ERR_DB);	/* the old connection */
	ck_assert_ptr_null(db_conn());				/* refused while down */
	ck_assert_int_eq(db_ping(), ERR_DB);
	ck_assert_msg(system(getenv("QUOTA_PG_START")) == 0, "QUOTA_PG_START failed");
	for (tries = 0; (w = db_conn()) == NULL && tries < 50; tries++)
		usleep(100 * 1000);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_ne(PQbackendPID(w), pid);
	ck_assert_int_eq(quota_get(w, cid, &q, NULL), ERR_OK);
	ck_assert_int_eq(db_ping(), ERR_OK);
	db_close();
	conf_free(&conf);
}
END_TEST

/* ----------------------------------------------------------------- main */

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
prepare_database(void)
{
	char errbuf[1024];
	PGconn *c;
	FILE *null;
	enum err rc;

	const char *direct = getenv("COFFER_PG_DIRECT_URL");

	if ((dburl = getenv("DATABASE_URL")) == NULL || *dburl == '\0') {
		fprintf(stderr, "check_quota: DATABASE_URL is not set: this suite needs a real "
		    "PostgreSQL (scripts/stack up DIR, then source DIR/stack.env)\n");
		return -1;
	}
	db_set_pooled(pooled);
	c = PQconnectdb(direct != NULL && *direct != '\0' ? direct : dburl);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "check_quota: cannot connect to the database: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	null = fopen("/dev/null", "w");
	rc = migrate_up(c, null, errbuf, sizeof(errbuf));
	fclose(null);
	PQfinish(c);
	if (rc != ERR_OK) {
		fprintf(stderr, "check_quota: migrate: %s\n", errbuf);
		return -1;
	}
	return 0;
}

static TCase *
tcase(Suite *s, const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

int
main(void)
{
	Suite *s = suite_create("quota_db");
	SRunner *sr;
	TCase *tc;
	int failed;

	pooled = getenv("COFFER_DB_POOLED") != NULL && strcmp(getenv("COFFER_DB_POOLED"), "1") == 0;
	if (prepare_database() == -1)
		return EXIT_FAILURE;
	tc = tcase(s, "flow", 60);
	tcase_add_test(tc, test_reserve_commit);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_release);
	tcase_add_test(tc, test_record);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_tenant_isolation);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_breakdown_subcategory);
	tc = tcase(s, "limits", 60);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_override);
	tcase_add_test(tc, test_plan_below_usage);
	tc = tcase(s, "audit", 60);
	tcase_add_test(tc, test_audit);
	tc = tcase(s, "race", 300);
	tcase_add_test(tc, test_race_fixed);
	tcase_add_test(tc, test_race_record);
	tcase_add_test(tc, test_race_mixed);
	tcase_add_test(tc, test_plan_change_while_waiting);
	tc = tcase(s, "settle", 300);
	tcase_add_test(tc, test_settle_concurrent);
	tcase_add_test(tc, test_announce);
	tcase_add_test(tc, test_recalculate_drift);
	tcase_add_test(tc, test_property);
	if (!pooled) {
		/* They end or inspect this process's own backend. */
		tc = tcase(s, "connection", 60);
		tcase_add_test(tc, test_reconnect_terminated);
		tcase_add_test(tc, test_conn_rollback);
	}
	if (getenv("QUOTA_PG_STOP") != NULL && getenv("QUOTA_PG_START") != NULL) {
		tc = tcase(s, "restart", 120);
		tcase_add_test(tc, test_restart);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
