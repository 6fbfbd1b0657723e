/* ctl_purge.c - `cofferctl purge [--dry-run]`: retention of deleted rows and old events. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/purge.h"

int
ctl_purge(struct ctl *ctl, int argc, char **argv)
{
	const struct conf *c = &ctl->conf;
	struct purge_result r;
	const char *errstr = NULL;
	bool dry = false;
	enum err rc;

	if (argc == 2 && strcmp(argv[1], "--dry-run") == 0)
		dry = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: cofferctl purge [--dry-run]\n");
		return 2;
	}
	rc = purge_run(ctl_db(ctl), c->keep_deleted_ms / 1000, c->keep_events_ms / 1000,
	    c->purge_batch, dry, &r, &errstr);
	/* What was done so far is said even when a batch failed. */
	printf("{\"deletedFiles\":%" PRId64 ",\"events\":%" PRId64 ",\"dryRun\":%s}\n",
	    r.files, r.events, dry ? "true" : "false");
	if (rc != ERR_OK) {
		fprintf(stderr, "cofferctl: purge: %s\n", errstr ? errstr : err_strerror(rc));
		return 1;
	}
	return 0;
}
