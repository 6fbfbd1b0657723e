/* ctl.h - what cofferctl's command modules (ctl_*.c) share. */
#ifndef COFFER_CTL_H
#define COFFER_CTL_H

#include <libpq-fe.h>

#include "base/conf.h"

struct ctl {
	struct conf	 conf;
	const char	*conf_path;
	PGconn		*pg;		/* opened on first ctl_db() */
};

/* A command: argv[0] is the command's own name; returns the exit status
 * (0 ok, 1 failure or "something was wrong", 2 usage). */
typedef int (*ctl_cmd_fn)(struct ctl *ctl, int argc, char **argv);

/* The database connection from the configuration: [database] direct_url
 * when set (PostgreSQL past the pooler), else url (DATABASE_URL); prints
 * one clear line and exits 1 when PostgreSQL is unreachable. */
PGconn *ctl_db(struct ctl *ctl);

/* ctl_db() for a command that needs a session of its own (session advisory
 * locks, temporary tables): refuses, exiting 1 with a message naming
 * command, when the connection would go through a transaction pooler
 * ([database] pooler = transaction without direct_url). */
PGconn *ctl_db_session(struct ctl *ctl, const char *command);

/* Who cofferctl acts as in the audit trail: "cofferctl:LOGIN". Static. */
const char *ctl_actor(void);

/* Commands, one module per group. */
int ctl_status(struct ctl *ctl, int argc, char **argv);		/* ctl_pool.c */
int ctl_migrate(struct ctl *ctl, int argc, char **argv);	/* ctl_migrate.c */
int ctl_apikey(struct ctl *ctl, int argc, char **argv);		/* ctl_auth.c */
int ctl_token(struct ctl *ctl, int argc, char **argv);		/* ctl_auth.c */
int ctl_plan(struct ctl *ctl, int argc, char **argv);		/* ctl_plan.c */
int ctl_customer(struct ctl *ctl, int argc, char **argv);	/* ctl_customer.c */
int ctl_recalculate(struct ctl *ctl, int argc, char **argv);	/* ctl_recalc.c */
int ctl_reconcile(struct ctl *ctl, int argc, char **argv);	/* ctl_reconcile.c */
int ctl_category(struct ctl *ctl, int argc, char **argv);	/* ctl_category.c */
int ctl_purge(struct ctl *ctl, int argc, char **argv);		/* ctl_purge.c */
int ctl_cors(struct ctl *ctl, int argc, char **argv);	/* ctl_cors.c */

#endif
