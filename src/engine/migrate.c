/* migrate.c - applying the embedded sql/ migrations, once each, in order (gaps filled). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/migrate.h"

/* Any constant unique to Coffer: serialises concurrent `cofferctl migrate`. */
#define MIGRATE_LOCK_KEY "4242031337"

static int
migrate_exec(PGconn *pg, const char *sql, char *errbuf, size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(errbuf, errlen, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int
migrate_ensure_table(PGconn *pg, char *errbuf, size_t errlen)
{
	return migrate_exec(pg,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())",
	    errbuf, errlen);
}

/* 1 if version is recorded in schema_migrations, 0 if not, -1 on error. */
static int
migrate_applied(PGconn *pg, int version)
{
	char vbuf[16];
	const char *params[1] = { vbuf };
	PGresult *res;
	int v = -1;

	snprintf(vbuf, sizeof(vbuf), "%d", version);
	res = PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE version = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		v = PQntuples(res) == 1;
	PQclear(res);
	return v;
}

/*
 * Migrations are numbered when they are written and may land out of order
 * (006 merged after 009): "current" is the version up to which every known
 * migration is applied, so a gap reads as behind (readiness 503) and
 * migrate_up() fills it.  With none missing, the newest recorded version
 * (which may be newer than this Coffer).
 */
int
migrate_current(PGconn *pg)
{
	PGresult *res;
	const char *state;
	int v = -1, i, prev = 0, a;

	res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atoi(PQgetvalue(res, 0, 0));
	else if ((state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(state, "42P01") == 0)
		v = 0;		/* no schema_migrations: never migrated */
	PQclear(res);
	if (v <= 0)
		return v;
	for (i = 0; i < migrations_count && migrations[i].version <= v; i++) {
		if ((a = migrate_applied(pg, migrations[i].version)) == -1)
			return -1;
		if (a == 0)
			return prev;
		prev = migrations[i].version;
	}
	return v;
}

int
migrate_latest(void)
{
	return migrations_count ? migrations[migrations_count - 1].version : 0;
}

enum err
migrate_up(PGconn *pg, FILE *out, char *errbuf, size_t errlen)
{
	char err2[512], sql[256];
	const char *params[2];
	char vbuf[16];
	PGresult *res;
	enum err rc = ERR_DB;
	int cur, i, applied = 0, applied_already;

	if (migrate_exec(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", errbuf, errlen) == -1)
		return ERR_DB;
	if (migrate_ensure_table(pg, errbuf, errlen) == -1)
		goto out;
	if ((cur = migrate_current(pg)) < 0) {
		snprintf(errbuf, errlen, "cannot read schema_migrations: %s", PQerrorMessage(pg));
		goto out;
	}
	if (cur > migrate_latest()) {
		snprintf(errbuf, errlen,
		    "the database schema is at version %d, newer than this Coffer "
		    "(which knows up to %d): upgrade Coffer before using this database",
		    cur, migrate_latest());
		rc = ERR_CONFLICT;
		goto out;
	}
	for (i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];

		if (m->version <= cur)
			continue;
		/* Past a gap, some are applied already. */
		if ((applied_already = migrate_applied(pg, m->version)) == -1) {
			snprintf(errbuf, errlen, "cannot read schema_migrations: %s",
			    PQerrorMessage(pg));
			goto out;
		}
		if (applied_already)
			continue;
		if (migrate_exec(pg, "BEGIN", errbuf, errlen) == -1)
			goto out;
		if (migrate_exec(pg, m->sql, err2, sizeof(err2)) == -1) {
			snprintf(errbuf, errlen, "migration %03d_%s failed (rolled back): %s",
			    m->version, m->name, err2);
			migrate_exec(pg, "ROLLBACK", err2, sizeof(err2));
			goto out;
		}
		snprintf(vbuf, sizeof(vbuf), "%d", m->version);
		params[0] = vbuf;
		params[1] = m->name;
		snprintf(sql, sizeof(sql),
		    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)");
		res = PQexecParams(pg, sql, 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(errbuf, errlen, "recording migration %d: %s", m->version,
			    PQresultErrorMessage(res));
			PQclear(res);
			migrate_exec(pg, "ROLLBACK", err2, sizeof(err2));
			goto out;
		}
		PQclear(res);
		if (migrate_exec(pg, "COMMIT", errbuf, errlen) == -1)
			goto out;
		fprintf(out, "applied %03d_%s\n", m->version, m->name);
		applied++;
	}
	if (applied == 0)
		fprintf(out, "schema is up to date (version %d)\n", cur);
	else
		fprintf(out, "schema is now at version %d\n", migrate_latest());
	rc = ERR_OK;
out:
	migrate_exec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", err2, sizeof(err2));
	return rc;
}

enum err
migrate_status(PGconn *pg, FILE *out, char *errbuf, size_t errlen)
{
	PGresult *res;
	int i, j, cur;

	if (migrate_ensure_table(pg, errbuf, errlen) == -1)
		return ERR_DB;
	res = PQexec(pg, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(errbuf, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return ERR_DB;
	}
	for (i = 0; i < migrations_count; i++) {
		const char *when = NULL;

		for (j = 0; j < PQntuples(res); j++)
			if (atoi(PQgetvalue(res, j, 0)) == migrations[i].version)
				when = PQgetvalue(res, j, 2);
		fprintf(out, "%03d_%-24s %s%s\n", migrations[i].version, migrations[i].name,
		    when ? "applied " : "pending", when ? when : "");
	}
	cur = 0;
	for (j = 0; j < PQntuples(res); j++)
		if (atoi(PQgetvalue(res, j, 0)) > cur)
			cur = atoi(PQgetvalue(res, j, 0));
	PQclear(res);
	if (cur > migrate_latest())
		fprintf(out, "WARNING: the database is at version %d, newer than this Coffer (%d)\n",
		    cur, migrate_latest());
	return ERR_OK;
}
