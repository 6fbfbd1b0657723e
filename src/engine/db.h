/* db.h - the worker's one PostgreSQL connection, reopened after failures,
 * and prepared statements that follow any connection they run on. */
#ifndef COFFER_DB_H
#define COFFER_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "base/conf.h"
#include "base/err.h"

/* Remember where to connect, and whether through a transaction pooler
 * ([database] pooler); connects lazily (after fork, in the worker). */
void db_init(const struct conf *conf);

/*
 * Run db_run() as behind a transaction pooler (true) or on a connection of
 * its own (false, the default without db_init()).  Pooled, no statement
 * relies on what this process prepared before: see db_run().  For tools
 * that connect themselves (cofferctl, bench_quota).
 */
void db_set_pooled(bool pooled);

/*
 * The live connection, connecting or reconnecting as needed.  A connection
 * left inside a transaction by an aborted request is rolled back first.
 * Returns NULL (and logs why, without the URL's password) when PostgreSQL
 * is unreachable; the caller answers ERR_DB.  The connection stays owned by
 * this module.
 */
PGconn *db_conn(void);

/* Round trip "SELECT 1"; ERR_OK or ERR_DB. */
enum err db_ping(void);

/* Close the connection (worker exit). */
void db_close(void);

/*
 * A statement with a fixed name and text.  Modules declare theirs as static
 * const objects; db_run() prepares one on a connection the first time it
 * runs there, so a fresh connection (after a restart of PostgreSQL, or
 * cofferctl's own) re-prepares lazily and nobody keeps a list.
 */
struct db_stmt {
	const char	*name;		/* unique across the program */
	const char	*sql;
	int		 nparams;
};

/*
 * Run st on pg with nparams text parameters (NULL is SQL NULL), preparing
 * it first if this connection has not seen it.  Pooled (db_set_pooled()),
 * the statement is prepared under a name that carries a hash of its text,
 * on whichever server connection the pooler picks, in the same transaction
 * as its execution when it is missing there; inside an explicit
 * transaction it is planned unnamed.  Nothing else about a session is
 * assumed, so new statements need nothing to work through PgBouncer.  Succeeds when the result
 * status is PGRES_TUPLES_OK or PGRES_COMMAND_OK: then *res (never NULL) is
 * the caller's to PQclear().  Otherwise *res is NULL and the return value
 * classifies the failure (see db_error()).  errstr, if not NULL, gets a
 * message for operators that stays valid until the next db_* call.
 */
enum err db_run(PGconn *pg, const struct db_stmt *st, const char *const *params,
    PGresult **res, const char **errstr);

/* db_run() for a statement that changes rows: ERR_OK when it changed at
 * least one, ERR_NOTFOUND when none, else db_run()'s error. */
enum err db_change(PGconn *pg, const struct db_stmt *st, const char *const *params,
    const char **errstr);

/* Run a parameterless utility command ("BEGIN", "COMMIT", "ROLLBACK"). */
enum err db_cmd(PGconn *pg, const char *sql, const char **errstr);

/*
 * Classify a failed result: connection trouble, server shutdown, deadlock,
 * serialization and lock timeouts are ERR_DB (503: try again); a unique
 * violation is ERR_CONFLICT; malformed input (bad uuid, bad JSON) is
 * ERR_BADREQ; anything else is ERR_INTERNAL.  res may be NULL.
 */
enum err db_error(PGconn *pg, const PGresult *res, const char **errstr);

/* The SQLSTATE of a failed result ("" when there is none); static. */
const char *db_sqlstate(const PGresult *res);

/* The SQLSTATE of the last failure db_error() classified ("" if none):
 * lets a caller tell a foreign key failure (23503) from others. */
const char *db_last_sqlstate(void);

/*
 * Forget what was prepared on pg.  Call it before PQfinish() on a
 * connection this module does not own, so that a later connection reusing
 * the same address starts clean.  (A stale entry would still heal itself:
 * a missing statement is prepared and retried once.)
 */
void db_forget(const PGconn *pg);

#endif
