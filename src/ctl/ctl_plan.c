/* ctl_plan.c - `cofferctl plan list` and `cofferctl plan set`. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/plan.h"

static int
ctl_plan_usage(void)
{
	fprintf(stderr, "usage: cofferctl plan list\n"
	    "       cofferctl plan set NAME [--limit BYTES|unlimited] [--max-file-size BYTES]\n"
	    "                               [--max-files N|unlimited]\n");
	return 2;
}

static int
ctl_plan_list(struct ctl *ctl)
{
	struct json_object *plans, *p, *v;
	const char *errstr = NULL;
	size_t i;

	if (plan_list(ctl_db(ctl), &plans, &errstr) != ERR_OK) {
		fprintf(stderr, "cofferctl: plan list: %s\n", errstr);
		return 1;
	}
	printf("%-16s %-14s %-14s %-10s %s\n", "PLAN", "LIMIT", "MAX FILE SIZE", "MAX FILES",
	    "CUSTOMERS");
	for (i = 0; i < json_object_array_length(plans); i++) {
		p = json_object_array_get_idx(plans, i);
		printf("%-16s", json_object_get_string(json_object_object_get_ex(p, "name", &v) ? v : NULL));
		printf(" %-14s", json_object_get_string(json_object_object_get_ex(p,
		    "storageLimitFormatted", &v) ? v : NULL));
		printf(" %-14s", json_object_get_string(json_object_object_get_ex(p,
		    "maxFileSizeFormatted", &v) ? v : NULL));
		printf(" %-10s", json_object_object_get_ex(p, "maxFiles", &v) && v != NULL ?
		    json_object_get_string(v) : "unlimited");
		printf(" %s\n", json_object_get_string(json_object_object_get_ex(p,
		    "customers", &v) ? v : NULL));
	}
	json_object_put(plans);
	return 0;
}

static int
ctl_plan_set(struct ctl *ctl, int argc, char **argv)
{
	struct quota_limit limit, *lp = NULL;
	const char *errstr = NULL, *name;
	int64_t max = 0, files = 0;
	int i, created;
	char *end;

	if (argc < 3)
		return ctl_plan_usage();
	name = argv[2];
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (quota_parse_limit(argv[++i], false, &limit) == -1) {
				fprintf(stderr, "cofferctl: plan set: bad --limit \"%s\": "
				    "a size such as 5GiB or 500MB, or unlimited\n", argv[i]);
				return 2;
			}
			lp = &limit;
		} else if (strcmp(argv[i], "--max-file-size") == 0 && i + 1 < argc) {
			if (conf_parse_size(argv[++i], &max) == -1 || max <= 0) {
				fprintf(stderr, "cofferctl: plan set: bad --max-file-size \"%s\": "
				    "a size such as 50MiB\n", argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--max-files") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "unlimited") == 0)
				files = -1;
			else if ((files = strtoll(argv[i], &end, 10)) <= 0 || *end != '\0')
				files = 0;
			if (files == 0) {
				fprintf(stderr, "cofferctl: plan set: bad --max-files \"%s\": "
				    "a positive number or unlimited\n", argv[i]);
				return 2;
			}
		} else
			return ctl_plan_usage();
	}
	created = 0;
	if ((lp != NULL || max != 0 || files == 0) &&
	    plan_set(ctl_db(ctl), name, lp, max, ctl->conf.max_file_size, &created,
	    &errstr) != ERR_OK) {
		fprintf(stderr, "cofferctl: plan set %s: %s\n", name, errstr);
		return 1;
	}
	if (files != 0 && plan_set_max_files(ctl_db(ctl), name, files, &errstr) != ERR_OK) {
		fprintf(stderr, "cofferctl: plan set %s: %s\n", name, errstr);
		return 1;
	}
	printf("plan %s %s\n", name, created ? "created" : "updated");
	return 0;
}

int
ctl_plan(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return ctl_plan_list(ctl);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return ctl_plan_set(ctl, argc, argv);
	return ctl_plan_usage();
}
