/* ctl_reconcile.c - `cofferctl reconcile`: options, the backend, and the report for people or JSON. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/identity.h"
#include "engine/reconcile.h"
#include "store/partial.h"
#include "store/store.h"

static int64_t
ctl_rec_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *
ctl_rec_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v != NULL ?
	    json_object_get_string(v) : "-";
}

static void
ctl_rec_items(struct json_object *section)
{
	struct json_object *items, *it;
	size_t i;

	if (!json_object_object_get_ex(section, "items", &items))
		return;
	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		printf("  %-10s %s (%" PRId64 " bytes", ctl_rec_str(it, "action"),
		    ctl_rec_str(it, "storageKey"), ctl_rec_int(it, "size"));
		if (json_object_object_get_ex(it, "fileId", NULL) &&
		    strcmp(ctl_rec_str(it, "fileId"), "-") != 0)
			printf(", file %s", ctl_rec_str(it, "fileId"));
		if (json_object_object_get_ex(it, "ageSeconds", NULL))
			printf(", %" PRId64 " s old", ctl_rec_int(it, "ageSeconds"));
		if (json_object_object_get_ex(it, "objectSize", NULL))
			printf(", object %s bytes", ctl_rec_str(it, "objectSize"));
		printf(")\n");
	}
	if (json_object_object_get_ex(section, "itemsTruncated", NULL))
		printf("  ... (the JSON report lists the first ones too; counts are exact)\n");
}

static void
ctl_rec_print(struct json_object *r)
{
	struct json_object *s, *items, *it, *v;
	bool dry = json_object_object_get_ex(r, "dryRun", &v) && json_object_get_boolean(v);
	const char *would = dry ? "would be " : "";
	size_t i;

	printf("reconcile %s on the %s backend%s\n",
	    json_object_object_get_ex(r, "customer", &v) && v != NULL ?
	    json_object_get_string(v) : "of every customer", ctl_rec_str(r, "backend"),
	    dry ? " (dry run: nothing changed)" : "");
	json_object_object_get_ex(r, "uploads", &s);
	printf("resumable uploads past their expiry: %" PRId64 " %sended, %" PRId64
	    " S3 multipart uploads of theirs aborted\n", ctl_rec_int(s, "expired"), would,
	    ctl_rec_int(s, "multipartAborted"));
	if (json_object_object_get_ex(s, "multipartOrphans", NULL))
		printf("S3 multipart uploads no upload records: %" PRId64 " %saborted, %" PRId64
		    " left alone because they are younger than the grace period\n",
		    ctl_rec_int(s, "multipartOrphans"), would, ctl_rec_int(s, "multipartYoung"));
	if (json_object_object_get_ex(s, "items", &items))
		for (i = 0; i < json_object_array_length(items); i++) {
			it = json_object_array_get_idx(items, i);
			if (json_object_object_get_ex(it, "uploadId", NULL))
				printf("  %-10s upload %s of customer %s\n",
				    ctl_rec_str(it, "action"), ctl_rec_str(it, "uploadId"),
				    ctl_rec_str(it, "customerId"));
			else
				printf("  %-10s multipart upload of %s (%" PRId64 " s old)\n",
				    ctl_rec_str(it, "action"), ctl_rec_str(it, "storageKey"),
				    ctl_rec_int(it, "ageSeconds"));
		}
	json_object_object_get_ex(r, "pending", &s);
	printf("pending uploads older than %" PRId64 " s: %" PRId64 " %scommitted, %" PRId64
	    " %sreleased, %" PRId64 " not judged, %" PRId64 " resumable ones still receiving\n",
	    ctl_rec_int(r, "pendingTimeoutSeconds"),
	    ctl_rec_int(s, "committed"), would, ctl_rec_int(s, "released"), would,
	    ctl_rec_int(s, "unjudged"), ctl_rec_int(s, "receiving"));
	ctl_rec_items(s);
	json_object_object_get_ex(r, "removals", &s);
	printf("objects of deleted files still owed: %" PRId64 " %sremoved, %" PRId64 " failed\n",
	    ctl_rec_int(s, "removed"), would, ctl_rec_int(s, "failed"));
	ctl_rec_items(s);
	json_object_object_get_ex(r, "orphans", &s);
	/* "listed" counts every object in the store; the orphans are the ones
	 * without a row, and young ones are kept: they may be uploads whose
	 * row is not committed yet. */
	printf("objects in the store: %" PRId64 " listed, %" PRId64 " without a file row: %" PRId64
	    " %sremoved, %" PRId64 " left alone because they are younger than the grace period"
	    " ([reconcile] orphan_grace or --grace, %" PRId64 " s: they may be uploads still"
	    " in flight), %" PRId64 " failed\n",
	    ctl_rec_int(s, "listed"), ctl_rec_int(s, "removed") + ctl_rec_int(s, "young") +
	    ctl_rec_int(s, "failed"), ctl_rec_int(s, "removed"), would, ctl_rec_int(s, "young"),
	    ctl_rec_int(r, "orphanGraceSeconds"), ctl_rec_int(s, "failed"));
	ctl_rec_items(s);
	json_object_object_get_ex(r, "missing", &s);
	printf("stored files without their object: %" PRId64 " missing, %" PRId64
	    " of another size (not repairable here)\n", ctl_rec_int(s, "missing"),
	    ctl_rec_int(s, "sizeMismatch"));
	ctl_rec_items(s);
	json_object_object_get_ex(r, "drift", &s);
	printf("usage drift: %" PRId64 " of %" PRId64 " customers %scorrected\n",
	    ctl_rec_int(s, "customers"), ctl_rec_int(s, "checked"), would);
	if (json_object_object_get_ex(s, "items", &items)) {
		for (i = 0; i < json_object_array_length(items); i++) {
			struct json_object *u, *rs;

			it = json_object_array_get_idx(items, i);
			json_object_object_get_ex(it, "used", &u);
			json_object_object_get_ex(it, "reserved", &rs);
			printf("  customer %s: used %" PRId64 " -> %" PRId64 ", reserved %" PRId64
			    " -> %" PRId64 ", breakdown rows corrected: %zu\n",
			    ctl_rec_str(it, "customerId"), ctl_rec_int(u, "before"),
			    ctl_rec_int(u, "after"), ctl_rec_int(rs, "before"),
			    ctl_rec_int(rs, "after"),
			    json_object_object_get_ex(it, "breakdown", &v) ?
			    json_object_array_length(v) : 0);
		}
	}
	if (json_object_object_get_ex(r, "errors", &items))
		for (i = 0; i < json_object_array_length(items); i++)
			printf("error: %s\n", json_object_get_string(
			    json_object_array_get_idx(items, i)));
	printf("result: %s (exit %" PRId64 ")\n", ctl_rec_str(r, "status"),
	    ctl_rec_int(r, "exitStatus"));
}

static int
ctl_rec_usage(void)
{
	fprintf(stderr, "usage: cofferctl reconcile [--customer ID] [--dry-run] [--json]"
	    " [--grace DURATION]\n");
	return 2;
}

int
ctl_reconcile(struct ctl *ctl, int argc, char **argv)
{
	char customer[IDENTITY_UUID_LEN + 1];
	const struct store_backend *be;
	struct reconcile_opts o;
	char uploads_dir[4096];
	struct json_object *report = NULL;
	const char *errstr = NULL;
	bool json = false;
	int64_t grace_ms;
	void *h;
	int i, rc;

	memset(&o, 0, sizeof(o));
	grace_ms = ctl->conf.orphan_grace_ms;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			o.dry_run = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--customer") == 0 && i + 1 < argc) {
			if (identity_uuid_canon(argv[++i], customer) == -1) {
				fprintf(stderr, "cofferctl: reconcile: --customer must be a UUID\n");
				return 2;
			}
			o.customer_id = customer;
		} else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
			/* Overrides [reconcile] orphan_grace for this run, down to 0. */
			if (conf_parse_duration_ms(argv[++i], &grace_ms) == -1) {
				fprintf(stderr, "cofferctl: reconcile: --grace must be a duration"
				    " such as 0s, 30m or 2h\n");
				return 2;
			}
		} else
			return ctl_rec_usage();
	}
	o.pending_timeout_s = ctl->conf.pending_timeout_ms / 1000;
	o.orphan_grace_s = grace_ms / 1000;
	partial_dir(&ctl->conf, uploads_dir, sizeof(uploads_dir));
	o.uploads_dir = uploads_dir;
	o.actor = ctl_actor();

	if ((be = store_lookup(&ctl->conf)) == NULL) {
		fprintf(stderr, "cofferctl: reconcile: storage backend not available in this build\n");
		return RECONCILE_ERROR;
	}
	if ((h = be->open(&ctl->conf, &errstr)) == NULL) {
		fprintf(stderr, "cofferctl: reconcile: cannot open the %s backend: %s\n", be->name,
		    errstr ? errstr : "unavailable");
		return RECONCILE_ERROR;
	}
	rc = reconcile_run(ctl_db_session(ctl, "reconcile"), be, h, &o, &report);
	be->close(h);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(report,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ctl_rec_print(report);
	json_object_put(report);
	return rc;
}
