/* db.c - PostgreSQL connection lifecycle for one worker process. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

static PGconn *db_pg;
static const struct conf *db_conf;

void
db_init(const struct conf *conf)
{
	db_conf = conf;
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
	return c;
}

PGconn *
db_conn(void)
{
	if (db_pg != NULL && PQstatus(db_pg) == CONNECTION_OK)
		return db_pg;
	if (db_pg != NULL) {
		log_warnx("database connection lost; reconnecting");
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
	PQfinish(db_pg);
	db_pg = NULL;
}
