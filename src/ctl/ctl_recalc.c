/* ctl_recalc.c - `cofferctl recalculate ID|--all`: recompute counters, print the drift. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/quota.h"

static int64_t
ctl_recalc_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* One line per customer, then one per corrected breakdown row. */
static int
ctl_recalc_print(void *arg, const char *id, enum err rc, const struct quota_drift *d,
    const char *errstr)
{
	struct json_object *rows, *r, *v;
	size_t i;

	(void)arg;
	if (rc != ERR_OK) {
		fprintf(stderr, "cofferctl: recalculate %s: %s\n", id,
		    errstr ? errstr : err_strerror(rc));
		return 0;
	}
	printf("customer %s: used %" PRId64 " -> %" PRId64 " (drift %+" PRId64 "), "
	    "reserved %" PRId64 " -> %" PRId64 " (drift %+" PRId64 "), "
	    "breakdown rows corrected: %d%s\n", id,
	    d->used_before, d->used_after, d->used_before - d->used_after,
	    d->reserved_before, d->reserved_after, d->reserved_before - d->reserved_after,
	    d->rows_changed,
	    d->used_before == d->used_after && d->reserved_before == d->reserved_after &&
	    d->rows_changed == 0 ? " (no drift)" : "");
	if (!json_object_object_get_ex(d->detail, "breakdown", &rows))
		return 0;
	for (i = 0; i < json_object_array_length(rows); i++) {
		r = json_object_array_get_idx(rows, i);
		printf("  %s/%s: files %" PRId64 " -> %" PRId64 ", size %" PRId64 " -> %" PRId64
		    " (drift %+" PRId64 ")\n",
		    json_object_object_get_ex(r, "fileType", &v) ? json_object_get_string(v) : "?",
		    json_object_object_get_ex(r, "category", &v) ? json_object_get_string(v) : "?",
		    ctl_recalc_int(r, "countBefore"), ctl_recalc_int(r, "countAfter"),
		    ctl_recalc_int(r, "sizeBefore"), ctl_recalc_int(r, "sizeAfter"),
		    ctl_recalc_int(r, "sizeDrift"));
	}
	return 0;
}

int
ctl_recalculate(struct ctl *ctl, int argc, char **argv)
{
	struct quota_drift d;
	const char *errstr = NULL;
	enum err rc;

	if (argc != 2) {
		fprintf(stderr, "usage: cofferctl recalculate ID|--all\n");
		return 2;
	}
	if (strcmp(argv[1], "--all") == 0) {
		rc = quota_recalculate_all(ctl_db(ctl), ctl_actor(), ctl_recalc_print, NULL,
		    &errstr);
		if (rc != ERR_OK) {
			fprintf(stderr, "cofferctl: recalculate --all: %s\n", errstr);
			return 1;
		}
		return 0;
	}
	rc = quota_recalculate(ctl_db(ctl), argv[1], ctl_actor(), &d, &errstr);
	ctl_recalc_print(NULL, argv[1], rc, &d, errstr);
	json_object_put(d.detail);
	return rc == ERR_OK ? 0 : 1;
}
