/* cofferctl.c - the operator's command line: option parsing and the command table. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>

#include "base/conf.h"
#include "ctl/ctl.h"
#include "engine/db.h"
#include "base/log.h"

#define DEFAULT_CONF "/etc/coffer/coffer.conf"

static const struct {
	const char	*name;
	ctl_cmd_fn	 fn;
	const char	*help;
} ctl_cmds[] = {
	{ "status", ctl_status, "status                      the pool scoreboard (answers when every worker is busy)" },
	{ "migrate", ctl_migrate, "migrate [--status]          apply (or list) database schema migrations" },
	{ "apikey", ctl_apikey, "apikey create --customer ID --role member|admin --name NAME\n"
	    "                              create an API key (printed once, last line)\n"
	    "  apikey revoke KEY_ID        revoke an API key (refused from the next request on)\n"
	    "  apikey list --customer ID   a customer's API keys as JSON (never the keys)" },
	{ "token", ctl_token, "token issue [--customer ID] --user ID [--role ROLE] [--ttl SECONDS]\n"
	    "                              sign a development JWT (printed last)" },
	{ "plan", ctl_plan, "plan list | plan set NAME [--limit BYTES|unlimited] [--max-file-size BYTES]" },
	{ "customer", ctl_customer, "customer create --id UUID --plan NAME [--limit BYTES|unlimited] |\n"
	    "    set-plan ID PLAN | set-limit ID BYTES|unlimited|plan | suspend ID | activate ID | show ID" },
	{ "recalculate", ctl_recalculate, "recalculate ID|--all       recompute usage from the files, print the drift" },
	{ "category", ctl_category, "category list | add NAME [--parent NAME] [--entity-id required|optional|none]\n"
	    "    [--subcategory optional|required] | remove NAME [--parent NAME]\n"
	    "                              the categories storage keys are checked against" },
	{ "reconcile", ctl_reconcile, "reconcile [--customer ID] [--dry-run] [--json] [--grace DURATION]\n"
	    "                              settle abandoned uploads, retry removals, remove orphan\n"
	    "                              objects, repair drift; exit 0 clean, 1 error, 3 repaired\n"
	    "                              (or found, with --dry-run), 4 stored files lost their object" },
	{ "purge", ctl_purge, "purge [--dry-run]           remove deleted file rows and outbox events older than\n"
	    "                              [reconcile] keep_deleted / keep_events, in batches" },
	{ "cors", ctl_cors, "cors                        [server] cors_origins as nginx map entries, for\n"
	    "                              /etc/nginx/coffer/coffer-cors.d/origins.conf" },
};

#define NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: cofferctl [-c FILE] COMMAND [ARGS]\n"
	    "       cofferctl -h | --help | -V | --version | COMMAND --help\n"
	    "  -c FILE  configuration file (default: $COFFER_CONF, else " DEFAULT_CONF ")\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %s\n", ctl_cmds[i].help);
}

/* NOTICEs ("already exists, skipping") are noise for operators. */
static void
ctl_notice(void *arg, const PGresult *res)
{
	(void)arg;
	if (strcmp(PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED), "NOTICE") != 0)
		fprintf(stderr, "%s", PQresultErrorMessage(res));
}

const char *
ctl_actor(void)
{
	static char actor[64];
	struct passwd *pw;

	if (actor[0] == '\0') {
		pw = getpwuid(geteuid());
		snprintf(actor, sizeof(actor), "cofferctl:%s",
		    pw != NULL ? pw->pw_name : "unknown");
	}
	return actor;
}

PGconn *
ctl_db(struct ctl *ctl)
{
	/* Past the pooler when we may: one operator's connection costs
	 * PostgreSQL nothing, and some commands need a session. */
	bool direct = ctl->conf.db_direct_url[0] != '\0';
	const char *keys[] = { "dbname", "application_name", NULL };
	const char *vals[] = { direct ? ctl->conf.db_direct_url : ctl->conf.database_url,
	    "cofferctl", NULL };

	if (ctl->pg != NULL)
		return ctl->pg;
	db_set_pooled(!direct && ctl->conf.db_pooler == DB_POOLER_TRANSACTION);
	ctl->pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(ctl->pg) != CONNECTION_OK) {
		/* libpq names host and port, never the password. */
		fprintf(stderr, "cofferctl: cannot connect to the database: %s",
		    PQerrorMessage(ctl->pg));
		exit(1);
	}
	PQsetNoticeReceiver(ctl->pg, ctl_notice, NULL);
	return ctl->pg;
}

PGconn *
ctl_db_session(struct ctl *ctl, const char *command)
{
	if (ctl->conf.db_pooler == DB_POOLER_TRANSACTION && ctl->conf.db_direct_url[0] == '\0') {
		/* Session advisory locks through a transaction pooler would
		 * stay on a server connection other clients then share. */
		fprintf(stderr, "cofferctl: %s needs a database session of its own, which a "
		    "transaction pooler cannot give: set [database] direct_url to "
		    "PostgreSQL itself\n", command);
		exit(1);
	}
	return ctl_db(ctl);
}

int
main(int argc, char **argv)
{
	struct ctl ctl;
	char errbuf[512];
	int ch, rc;
	size_t i;
	int j;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&ctl, 0, sizeof(ctl));
	/* Library warnings would double the one clear line each command
	 * prints on failure. */
	log_init("cofferctl", LOG_LVL_ERROR);
	ctl.conf_path = getenv("COFFER_CONF");
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cofferctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			break;
	if (i == NCMDS && strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (i == NCMDS) {
		fprintf(stderr, "cofferctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		return 2;
	}
	/* COMMAND --help answers without a configuration or a database. */
	for (j = 1; j < argc; j++)
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			printf("usage: cofferctl [-c FILE] %s\n", ctl_cmds[i].help);
			return 0;
		}
	if (ctl.conf_path == NULL || ctl.conf_path[0] == '\0')
		ctl.conf_path = DEFAULT_CONF;
	if (conf_load(&ctl.conf, ctl.conf_path, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "cofferctl: %s\n", errbuf);
		return 1;
	}
	rc = ctl_cmds[i].fn(&ctl, argc, argv);
	PQfinish(ctl.pg);
	conf_free(&ctl.conf);
	return rc;
}
