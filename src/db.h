/* db.h - the worker's one PostgreSQL connection, reopened after failures. */
#ifndef COFFER_DB_H
#define COFFER_DB_H

#include <libpq-fe.h>

#include "conf.h"
#include "err.h"

/* Remember where to connect; connects lazily (after fork, in the worker). */
void db_init(const struct conf *conf);

/*
 * The live connection, connecting or reconnecting as needed.  Returns NULL
 * (and logs why, without the URL's password) when PostgreSQL is
 * unreachable; the caller answers ERR_DB.  The connection stays owned by
 * this module.
 */
PGconn *db_conn(void);

/* Round trip "SELECT 1"; ERR_OK or ERR_DB. */
enum err db_ping(void);

/* Close the connection (worker exit). */
void db_close(void);

#endif
