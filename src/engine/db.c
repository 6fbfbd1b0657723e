/* db.c - PostgreSQL connection lifecycle for one worker process, and the
 * lazily prepared statement registry every module runs its SQL through,
 * directly or through a transaction pooler (PgBouncer). */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "base/log.h"
#include "daemon/metrics.h"

static PGconn *db_pg;
static const struct conf *db_conf;
static bool db_pooled;

/*
 * Which statements each open connection has prepared.  A process holds one
 * or two connections (a worker's, a test's second one), so a few slots
 * scanned linearly beat any hashing.  An entry is keyed by the PGconn
 * address and its backend PID so that a new connection that happens to get
 * the old one's address starts empty.
 */
#define DB_CONN_SLOTS	8
#define DB_MAX_STMTS	128

struct db_prepared {
	const PGconn		*pg;
	int			 pid;
	unsigned long		 used;		/* for LRU eviction */
	int			 n;
	const struct db_stmt	*stmt[DB_MAX_STMTS];
};

static struct db_prepared db_prep[DB_CONN_SLOTS];
static unsigned long db_prep_clock;
static char db_errbuf[512];
static char db_state[6];

void
db_init(const struct conf *conf)
{
	db_conf = conf;
	db_pooled = conf->db_pooler == DB_POOLER_TRANSACTION;
}

void
db_set_pooled(bool pooled)
{
	db_pooled = pooled;
}

/* Server notices (and the FATAL of a session ended while idle) go to our
 * log, not raw to stderr. */
static void
db_notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	while (n > 0 && message[n - 1] == '\n')
		n--;
	log_info("database: %.*s", (int)n, message);
}

static PGconn *
db_connect(void)
{
	char timeout[32];
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { db_conf->database_url, timeout, "cofferd", NULL };
	PGconn *c;

	snprintf(timeout, sizeof(timeout), "%" PRId64,
	    (db_conf->db_connect_timeout_ms + 999) / 1000);
	/* expand_dbname: the URL fills the other keys; ours are defaults. */
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password. */
		log_warnx("database connection failed: %s",
		    c ? strtok(PQerrorMessage(c), "\n") : "out of memory");
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, db_notice, NULL);
	return c;
}

PGconn *
db_conn(void)
{
	/* A request that failed half-way must not leave its transaction open
	 * for the next one to commit by accident. */
	if (db_pg != NULL && PQstatus(db_pg) == CONNECTION_OK &&
	    PQtransactionStatus(db_pg) != PQTRANS_IDLE)
		(void)db_cmd(db_pg, "ROLLBACK", NULL);
	/* A server that ended the session while we were idle (restart,
	 * pg_terminate_backend) has sent its FATAL and closed the socket.
	 * Reading what is pending, without blocking, notices it now rather
	 * than failing this request's first statement: the first read takes
	 * the FATAL (handed to the notice processor), the second meets EOF. */
	if (db_pg != NULL && PQstatus(db_pg) == CONNECTION_OK && PQconsumeInput(db_pg) &&
	    PQconsumeInput(db_pg) && PQstatus(db_pg) == CONNECTION_OK)
		return db_pg;
	if (db_pg != NULL) {
		log_warnx("database connection lost; reconnecting");
		db_forget(db_pg);
		PQfinish(db_pg);
	}
	db_pg = db_connect();
	return db_pg;
}

enum err
db_ping(void)
{
	PGconn *c = db_conn();
	PGresult *res;
	int ok;

	if (c == NULL)
		return ERR_DB;
	res = PQexec(c, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!ok && PQstatus(c) != CONNECTION_OK) {
		/* The server went away under us: one fresh attempt. */
		if ((c = db_conn()) == NULL)
			return ERR_DB;
		res = PQexec(c, "SELECT 1");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	return ok ? ERR_OK : ERR_DB;
}

void
db_close(void)
{
	db_forget(db_pg);
	PQfinish(db_pg);
	db_pg = NULL;
}

void
db_forget(const PGconn *pg)
{
	int i;

	for (i = 0; i < DB_CONN_SLOTS; i++)
		if (db_prep[i].pg == pg && pg != NULL)
			memset(&db_prep[i], 0, sizeof(db_prep[i]));
}

/* The slot for pg, claimed (least recently used first) if pg is new. */
static struct db_prepared *
db_prep_slot(const PGconn *pg)
{
	struct db_prepared *p, *victim = &db_prep[0];
	int i, pid = PQbackendPID(pg);

	for (i = 0; i < DB_CONN_SLOTS; i++) {
		p = &db_prep[i];
		if (p->pg == pg && p->pid == pid) {
			p->used = ++db_prep_clock;
			return p;
		}
		if (p->used < victim->used)
			victim = p;
	}
	memset(victim, 0, sizeof(*victim));
	victim->pg = pg;
	victim->pid = pid;
	victim->used = ++db_prep_clock;
	return victim;
}

static int
db_prep_find(const struct db_prepared *p, const struct db_stmt *st)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->stmt[i] == st)
			return i;
	return -1;
}

static void
db_prep_drop(struct db_prepared *p, const struct db_stmt *st)
{
	int i = db_prep_find(p, st);

	if (i >= 0)
		p->stmt[i] = p->stmt[--p->n];
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

static const char *
db_message(PGconn *pg, const PGresult *res)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(pg);
	snprintf(db_errbuf, sizeof(db_errbuf), "%s", m && *m ? m : "database error");
	n = strlen(db_errbuf);
	while (n > 0 && (db_errbuf[n - 1] == '\n' || db_errbuf[n - 1] == ' '))
		db_errbuf[--n] = '\0';
	return db_errbuf;
}

enum err
db_error(PGconn *pg, const PGresult *res, const char **errstr)
{
	const char *state = db_sqlstate(res);
	enum err rc;

	snprintf(db_state, sizeof(db_state), "%s", state);
	if (errstr != NULL)
		*errstr = db_message(pg, res);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK || res == NULL)
		return ERR_DB;
	if (strcmp(state, "23505") == 0)		/* unique_violation */
		rc = ERR_CONFLICT;
	else if (strcmp(state, "22P02") == 0 ||		/* invalid_text_representation */
	    strcmp(state, "22023") == 0)		/* invalid_parameter_value */
		rc = ERR_BADREQ;
	else if (strncmp(state, "08", 2) == 0 ||	/* connection exception */
	    strncmp(state, "40", 2) == 0 ||		/* deadlock, serialization */
	    strncmp(state, "53", 2) == 0 ||		/* insufficient resources */
	    strncmp(state, "57", 2) == 0 ||		/* shutdown, cancel, timeout */
	    strcmp(state, "55P03") == 0)		/* lock_not_available */
		rc = ERR_DB;
	else
		rc = ERR_INTERNAL;
	if (rc == ERR_INTERNAL || rc == ERR_DB)
		log_warnx("database: %s (SQLSTATE %s)", db_message(pg, res), state);
	return rc;
}

const char *
db_last_sqlstate(void)
{
	return db_state;
}

static int
db_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res != NULL && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

/* Prepare st on pg; 0 on success (including "already exists"). */
static int
db_prepare(PGconn *pg, struct db_prepared *p, const struct db_stmt *st, PGresult **failed)
{
	PGresult *res = PQprepare(pg, st->name, st->sql, st->nparams, NULL);

	*failed = NULL;
	if (!db_ok(res) && strcmp(db_sqlstate(res), "42P05") != 0) {
		*failed = res;
		return -1;
	}
	PQclear(res);
	if (p->n == DB_MAX_STMTS)
		fatalx("db: more than %d prepared statements", DB_MAX_STMTS);
	p->stmt[p->n++] = st;
	return 0;
}

/*
 * Behind a transaction pooler each transaction may land on another server
 * connection, shared with other clients, so this process cannot know what
 * is prepared where.  Planning afresh every time (unnamed statements)
 * would be correct but costs an upload three times the database CPU or
 * more (docs/SCALING.md), so statements stay named and prepared on the server
 * connections themselves: the name carries a hash of the text, so every
 * client of every version that uses a name means the same statement, and
 * whichever lands on a server connection finds it prepared or prepares it
 * there.  Parse and execute go in one pipeline (one Sync, so one
 * transaction, so one server connection).
 */
#define DB_POOLED_NAME	64	/* < NAMEDATALEN */

static void
db_pooled_name(const struct db_stmt *st, char *buf, size_t len)
{
	/* FNV-1a: a fingerprint, not a defence (the text is ours). */
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *c;

	for (c = (const unsigned char *)st->sql; *c != '\0'; c++)
		h = (h ^ *c) * UINT64_C(1099511628211);
	snprintf(buf, len, "coffer_%.32s_%016" PRIx64, st->name, h);
}

/* Discard every result up to the next NULL; keep the first in *keep if
 * *keep is still NULL. */
static void
db_pipeline_take(PGconn *pg, PGresult **keep)
{
	PGresult *r;

	while ((r = PQgetResult(pg)) != NULL) {
		if (*keep == NULL)
			*keep = r;
		else
			PQclear(r);
	}
}

/* Prepare name and run it, in one transaction.  NULL when the connection
 * failed; else the first failure (the Parse's, e.g. 42P05) or the result. */
static PGresult *
db_prepare_exec(PGconn *pg, const char *name, const struct db_stmt *st,
    const char *const *params)
{
	PGresult *prep = NULL, *exec = NULL, *sync;

	if (!PQenterPipelineMode(pg))
		return NULL;
	if (!PQsendPrepare(pg, name, st->sql, st->nparams, NULL) ||
	    !PQsendQueryPrepared(pg, name, st->nparams, params, NULL, NULL, 0) ||
	    !PQpipelineSync(pg)) {
		/* Only a broken connection refuses to queue. */
		(void)PQexitPipelineMode(pg);
		return NULL;
	}
	db_pipeline_take(pg, &prep);
	db_pipeline_take(pg, &exec);
	if ((sync = PQgetResult(pg)) != NULL)
		PQclear(sync);
	(void)PQexitPipelineMode(pg);
	if (prep != NULL && !db_ok(prep)) {
		PQclear(exec);
		return prep;
	}
	PQclear(prep);
	return exec;
}

/* st's result through a transaction pooler. */
static PGresult *
db_exec_pooled(PGconn *pg, const struct db_stmt *st, const char *const *params)
{
	char name[DB_POOLED_NAME];
	PGresult *res;
	int tries;

	/* Inside BEGIN ... COMMIT (recalculation) a miss would abort the
	 * transaction: plan afresh there, these paths are rare. */
	if (PQtransactionStatus(pg) != PQTRANS_IDLE)
		return PQexecParams(pg, st->sql, st->nparams, NULL, params, NULL, NULL, 0);
	db_pooled_name(st, name, sizeof(name));
	/* A miss (26000) prepares and runs in one transaction; if that lands
	 * where the statement exists already (42P05), the plain execute is
	 * tried again.  Each miss teaches one server connection, so misses
	 * end once all of the pool's know the statement.  Three rounds of
	 * bad luck end in an unnamed statement. */
	for (tries = 0; tries < 3; tries++) {
		res = PQexecPrepared(pg, name, st->nparams, params, NULL, NULL, 0);
		if (strcmp(db_sqlstate(res), "26000") != 0)
			return res;
		PQclear(res);
		res = db_prepare_exec(pg, name, st, params);
		if (res == NULL || strcmp(db_sqlstate(res), "42P05") != 0)
			return res;
		PQclear(res);
	}
	return PQexecParams(pg, st->sql, st->nparams, NULL, params, NULL, NULL, 0);
}

enum err
db_run(PGconn *pg, const struct db_stmt *st, const char *const *params,
    PGresult **out, const char **errstr)
{
	struct db_prepared *p;
	PGresult *res = NULL;
	enum err rc;
	int retried = 0;
	int64_t t0;

	*out = NULL;
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
		return db_error(pg, NULL, errstr);
	if (db_pooled) {
		t0 = metrics_now_us();
		res = db_exec_pooled(pg, st, params);
		metrics_db(metrics_now_us() - t0, !db_ok(res));
		if (db_ok(res)) {
			*out = res;
			return ERR_OK;
		}
		goto fail;
	}
	p = db_prep_slot(pg);
again:
	if (db_prep_find(p, st) < 0 && db_prepare(pg, p, st, &res) == -1)
		goto fail;
	t0 = metrics_now_us();
	res = PQexecPrepared(pg, st->name, st->nparams, params, NULL, NULL, 0);
	metrics_db(metrics_now_us() - t0, !db_ok(res));
	if (db_ok(res)) {
		*out = res;
		return ERR_OK;
	}
	/* Prepared statements vanish with DISCARD ALL (poolers) or a
	 * bookkeeping slip: prepare again, once, where it is still safe. */
	if (strcmp(db_sqlstate(res), "26000") == 0) {
		db_prep_drop(p, st);
		if (!retried && PQtransactionStatus(pg) == PQTRANS_IDLE) {
			PQclear(res);
			retried = 1;
			goto again;
		}
	}
fail:
	rc = db_error(pg, res, errstr);
	if (PQstatus(pg) != CONNECTION_OK)
		db_forget(pg);
	PQclear(res);
	return rc;
}

enum err
db_change(PGconn *pg, const struct db_stmt *st, const char *const *params,
    const char **errstr)
{
	PGresult *res = NULL;
	enum err rc;

	if ((rc = db_run(pg, st, params, &res, errstr)) != ERR_OK)
		return rc;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? ERR_NOTFOUND : ERR_OK;
	PQclear(res);
	return rc;
}

enum err
db_cmd(PGconn *pg, const char *sql, const char **errstr)
{
	PGresult *res;
	enum err rc = ERR_OK;
	int64_t t0;

	if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
		return db_error(pg, NULL, errstr);
	t0 = metrics_now_us();
	res = PQexec(pg, sql);
	metrics_db(metrics_now_us() - t0, !db_ok(res));
	if (!db_ok(res))
		rc = db_error(pg, res, errstr);
	PQclear(res);
	return rc;
}
