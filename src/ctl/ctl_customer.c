/* ctl_customer.c - `cofferctl customer create|set-plan|set-limit|suspend|activate|show`. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/customer.h"

static int
ctl_customer_usage(void)
{
	fprintf(stderr,
	    "usage: cofferctl customer create --id UUID --plan NAME [--limit BYTES|unlimited]\n"
	    "       cofferctl customer set-plan ID PLAN\n"
	    "       cofferctl customer set-limit ID BYTES|unlimited|plan\n"
	    "       cofferctl customer suspend|activate ID\n"
	    "       cofferctl customer show ID\n");
	return 2;
}

static int
ctl_customer_fail(const char *what, const char *id, const char *errstr)
{
	fprintf(stderr, "cofferctl: customer %s %s: %s\n", what, id, errstr);
	return 1;
}

/*
 * The effective limit after a change, in the display convention
 * (quota_format_bytes()), and where it comes from: an override outlives
 * set-plan, and saying so is the only way an operator learns it.
 */
static int
ctl_customer_limit_said(struct ctl *ctl, const char *id, const char *what)
{
	struct json_object *o, *v;
	const char *errstr = NULL, *fmt = "?", *plan = "?";
	bool override;

	if (customer_show(ctl_db(ctl), id, &o, &errstr) != ERR_OK)
		return ctl_customer_fail(what, id, errstr);
	if (json_object_object_get_ex(o, "limitFormatted", &v))
		fmt = json_object_get_string(v);
	if (json_object_object_get_ex(o, "plan", &v))
		plan = json_object_get_string(v);
	override = json_object_object_get_ex(o, "limitSource", &v) &&
	    strcmp(json_object_get_string(v), "override") == 0;
	if (strcmp(what, "set-plan") == 0 && override)
		printf("customer %s now on plan %s; limit stays %s (override); "
		    "`cofferctl customer set-limit %s plan` to follow the plan\n",
		    id, plan, fmt, id);
	else if (strcmp(what, "set-plan") == 0)
		printf("customer %s now on plan %s; limit %s (the plan's)\n", id, plan, fmt);
	else if (override)
		printf("customer %s limit set to %s (override of plan %s)\n", id, fmt, plan);
	else
		printf("customer %s limit follows plan %s: %s\n", id, plan, fmt);
	json_object_put(o);
	return 0;
}

static int
ctl_customer_create(struct ctl *ctl, int argc, char **argv)
{
	const char *id = NULL, *plan = NULL, *errstr = NULL;
	struct quota_limit limit, *lp = NULL;
	int i;

	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--id") == 0)
			id = argv[i + 1];
		else if (strcmp(argv[i], "--plan") == 0)
			plan = argv[i + 1];
		else if (strcmp(argv[i], "--limit") == 0) {
			if (quota_parse_limit(argv[i + 1], true, &limit) == -1) {
				fprintf(stderr, "cofferctl: customer create: bad --limit \"%s\": "
				    "a size such as 5GiB, unlimited or plan\n", argv[i + 1]);
				return 2;
			}
			lp = &limit;
		} else
			return ctl_customer_usage();
	}
	if (i != argc || id == NULL || plan == NULL)
		return ctl_customer_usage();
	if (customer_create(ctl_db(ctl), id, plan, lp, ctl_actor(), &errstr) != ERR_OK)
		return ctl_customer_fail("create", id, errstr);
	printf("customer %s created on plan %s\n", id, plan);
	return 0;
}

int
ctl_customer(struct ctl *ctl, int argc, char **argv)
{
	struct json_object *o;
	struct quota_limit limit;
	const char *errstr = NULL, *sub;

	if (argc < 2)
		return ctl_customer_usage();
	sub = argv[1];
	if (strcmp(sub, "create") == 0)
		return ctl_customer_create(ctl, argc, argv);
	if (strcmp(sub, "set-plan") == 0 && argc == 4) {
		if (customer_set_plan(ctl_db(ctl), argv[2], argv[3], ctl_actor(), &errstr) != ERR_OK)
			return ctl_customer_fail(sub, argv[2], errstr);
		return ctl_customer_limit_said(ctl, argv[2], sub);
	}
	if (strcmp(sub, "set-limit") == 0 && argc == 4) {
		if (quota_parse_limit(argv[3], true, &limit) == -1) {
			fprintf(stderr, "cofferctl: customer set-limit: bad limit \"%s\": "
			    "a size such as 5GiB, unlimited or plan\n", argv[3]);
			return 2;
		}
		if (customer_set_limit(ctl_db(ctl), argv[2], &limit, ctl_actor(), &errstr) != ERR_OK)
			return ctl_customer_fail(sub, argv[2], errstr);
		return ctl_customer_limit_said(ctl, argv[2], sub);
	}
	if ((strcmp(sub, "suspend") == 0 || strcmp(sub, "activate") == 0) && argc == 3) {
		if (customer_set_status(ctl_db(ctl), argv[2], strcmp(sub, "activate") == 0,
		    ctl_actor(), &errstr) != ERR_OK)
			return ctl_customer_fail(sub, argv[2], errstr);
		printf("customer %s %s\n", argv[2],
		    strcmp(sub, "activate") == 0 ? "activated" : "suspended");
		return 0;
	}
	if (strcmp(sub, "show") == 0 && argc == 3) {
		if (customer_show(ctl_db(ctl), argv[2], &o, &errstr) != ERR_OK)
			return ctl_customer_fail(sub, argv[2], errstr);
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return 0;
	}
	return ctl_customer_usage();
}
