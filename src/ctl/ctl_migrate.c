/* ctl_migrate.c - `cofferctl migrate [--status]`. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/migrate.h"

int
ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	char errbuf[1024];
	enum err rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--status") != 0)) {
		fprintf(stderr, "usage: cofferctl migrate [--status]\n");
		return 2;
	}
	if (argc == 2)
		rc = migrate_status(ctl_db(ctl), stdout, errbuf, sizeof(errbuf));
	else
		rc = migrate_up(ctl_db_session(ctl, "migrate"), stdout, errbuf, sizeof(errbuf));
	if (rc != ERR_OK) {
		fprintf(stderr, "cofferctl: migrate: %s\n", errbuf);
		return 1;
	}
	return 0;
}
