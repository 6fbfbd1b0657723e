/* migrate.h - schema migrations embedded from sql/ and applied in order. */
#ifndef COFFER_MIGRATE_H
#define COFFER_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

#include "base/err.h"

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

/* Generated from sql/NNN_name.sql, ascending by version. */
extern const struct migration migrations[];
extern const int migrations_count;

/*
 * Apply every migration newer than the database's, each in its own
 * transaction recorded in schema_migrations, under an advisory lock so two
 * migrators never interleave.  Refuses a database newer than this code.
 * Progress goes to out.  Returns ERR_OK, or ERR_DB/ERR_CONFLICT with a
 * message in errbuf.
 */
enum err migrate_up(PGconn *pg, FILE *out, char *errbuf, size_t errlen);

/* Print each known migration as applied or pending to out. */
enum err migrate_status(PGconn *pg, FILE *out, char *errbuf, size_t errlen);

/* The version up to which every known migration is applied (a migration
 * merged out of order leaves a gap: the version before it), else the newest
 * recorded; 0 for a database never migrated, -1 on error. */
int migrate_current(PGconn *pg);

/* The newest version this program carries (and its statements expect). */
int migrate_latest(void);

#endif
