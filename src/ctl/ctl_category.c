/* ctl_category.c - `cofferctl category list|add|remove`: the operator's taxonomy. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "engine/taxonomy.h"

static int
ctl_category_usage(void)
{
	fprintf(stderr, "usage: cofferctl category list\n"
	    "       cofferctl category add NAME [--entity-id required|optional|none]"
	    " [--subcategory optional|required]\n"
	    "       cofferctl category add NAME --parent CATEGORY\n"
	    "       cofferctl category remove NAME [--parent CATEGORY]\n");
	return 2;
}

static int
ctl_category_list(struct ctl *ctl)
{
	static const char *const entity[] = { "none", "optional", "required" };
	static const char *const sub[] = { "none", "optional", "required" };
	struct storekey_taxonomy *tax;
	const struct storekey_category *c;
	const char *errstr = NULL;
	const char *const *s;
	size_t i;

	if (taxonomy_load(ctl_db(ctl), &tax, &errstr) != ERR_OK) {
		fprintf(stderr, "cofferctl: category list: %s\n", errstr);
		return 1;
	}
	printf("%-34s %-10s %s\n", "CATEGORY", "ENTITY-ID", "SUBCATEGORY");
	for (i = 0; i < tax->ncategories; i++) {
		c = &tax->categories[i];
		printf("%-34s %-10s %s\n", c->name, entity[c->entity], sub[c->sub]);
		for (s = c->subcategories; s != NULL && *s != NULL; s++)
			printf("  %s\n", *s);
	}
	taxonomy_free(tax);
	return 0;
}

int
ctl_category(struct ctl *ctl, int argc, char **argv)
{
	const char *name, *parent = NULL, *entity = NULL, *sub = NULL, *errstr = NULL;
	int64_t held = 0;
	enum err rc;
	bool add;
	int i;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return ctl_category_list(ctl);
	if (argc < 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0))
		return ctl_category_usage();
	add = strcmp(argv[1], "add") == 0;
	name = argv[2];
	for (i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--parent") == 0)
			parent = argv[i + 1];
		else if (add && strcmp(argv[i], "--entity-id") == 0)
			entity = argv[i + 1];
		else if (add && strcmp(argv[i], "--subcategory") == 0)
			sub = argv[i + 1];
		else
			return ctl_category_usage();
	}
	if (i != argc)
		return ctl_category_usage();
	if (add) {
		if ((rc = taxonomy_add(ctl_db(ctl), name, parent, entity, sub, &errstr)) != ERR_OK) {
			fprintf(stderr, "cofferctl: category add %s: %s\n", name, errstr);
			return rc == ERR_BADREQ ? 2 : 1;
		}
		if (parent != NULL)
			printf("subcategory %s added to %s\n", name, parent);
		else
			printf("category %s added (entity id %s)\n", name,
			    entity != NULL ? entity : "none");
	} else {
		if ((rc = taxonomy_remove(ctl_db(ctl), name, parent, &held, &errstr)) != ERR_OK) {
			if (rc == ERR_CONFLICT)
				fprintf(stderr, "cofferctl: category remove %s: refused: %" PRId64
				    " file(s) are stored under it; delete them first\n", name, held);
			else
				fprintf(stderr, "cofferctl: category remove %s: %s\n", name, errstr);
			return 1;
		}
		printf("%s %s removed%s%s\n", parent != NULL ? "subcategory" : "category", name,
		    parent != NULL ? " from " : "", parent != NULL ? parent : "");
	}
	printf("workers use the change within [storage] category_ttl (%" PRId64 " ms)\n",
	    ctl->conf.category_ttl_ms);
	return 0;
}
