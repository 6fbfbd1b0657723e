/*
 * check_taxonomy.c - the operator's categories against a real PostgreSQL
 * (DATABASE_URL, migrated): the worker cache's bound on a clock the test
 * drives, so "a change is seen within category_ttl" is checked without
 * sleeping, and the rules cofferctl's changes keep.
 *
 * Not run by `make check`: tests/integration/test_categories.py runs it with
 * the stack's DATABASE_URL.  By hand:
 * DATABASE_URL=postgresql://... tests/db/check_taxonomy
 * Category names carry this process's pid, so runs next to a live stack
 * change nothing a concurrent test relies on; every test removes its own.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/taxonomy.h"

#define TTL	5000

static const char *dburl;
static PGconn *pg;
static char cat[40], cat2[40];

static void
setup(void)
{
	pg = PQconnectdb(dburl);
	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "cannot connect: %s", PQerrorMessage(pg));
	snprintf(cat, sizeof(cat), "tx-%ld", (long)getpid());
	snprintf(cat2, sizeof(cat2), "tx2-%ld", (long)getpid());
}

static void
teardown(void)
{
	PGresult *res;

	/* Whatever a failed test left behind. */
	res = PQexec(pg, "DELETE FROM subcategories WHERE category LIKE 'tx%-%'");
	PQclear(res);
	res = PQexec(pg, "DELETE FROM categories WHERE name LIKE 'tx%-%'");
	PQclear(res);
	taxonomy_cache_free();
	db_forget(pg);
	PQfinish(pg);
	pg = NULL;
}

static const struct storekey_category *
find(const struct storekey_taxonomy *tax, const char *name)
{
	size_t i;

	for (i = 0; i < tax->ncategories; i++)
		if (strcmp(tax->categories[i].name, name) == 0)
			return &tax->categories[i];
	return NULL;
}

static const struct storekey_category *
must(const struct storekey_taxonomy *tax, const char *name)
{
	const struct storekey_category *c = find(tax, name);

	ck_assert_msg(c != NULL, "no category %s", name);
	return c;
}

/* The seed's tree is what migration 006 leaves, in the seed's order, and
 * exactly storekey.c's compiled default. */
START_TEST(test_seeded_tree_is_the_seed)
{
	const struct storekey_taxonomy *want = storekey_default_taxonomy();
	struct storekey_taxonomy *got;
	const char *errstr = NULL;
	const char *const *a, *const *b;
	size_t i;

	ck_assert_int_eq(taxonomy_load(pg, &got, &errstr), ERR_OK);
	ck_assert_uint_eq(got->ncategories, want->ncategories);
	for (i = 0; i < want->ncategories; i++) {
		ck_assert_str_eq(got->categories[i].name, want->categories[i].name);
		ck_assert_int_eq(got->categories[i].entity, want->categories[i].entity);
		ck_assert_int_eq(got->categories[i].sub, want->categories[i].sub);
		a = got->categories[i].subcategories;
		b = want->categories[i].subcategories;
		ck_assert_int_eq(a == NULL, b == NULL);
		for (; b != NULL && *b != NULL; a++, b++)
			ck_assert_str_eq(*a, *b);
		ck_assert(b == NULL || *a == NULL);
	}
	taxonomy_free(got);
}
END_TEST

/* The bound: a change is invisible before ttl has passed since the last
 * read and visible from then on; what was handed out stays readable. */
START_TEST(test_cache_bound)
{
	const struct storekey_taxonomy *t0, *t1, *t2, *t3;
	const char *errstr = NULL;
	int64_t held;

	t0 = taxonomy_cached(pg, 1000, TTL);
	ck_assert_ptr_nonnull(t0);
	ck_assert_ptr_null(find(t0, cat));
	ck_assert_int_eq(taxonomy_add(pg, cat, NULL, "optional", NULL, &errstr), ERR_OK);
	/* Within the ttl: the cached tree, the same object. */
	ck_assert_ptr_eq(taxonomy_cached(pg, 1000 + TTL - 1, TTL), t0);
	/* At the ttl: read again, the new category in it. */
	t1 = taxonomy_cached(pg, 1000 + TTL, TTL);
	ck_assert_ptr_ne(t1, t0);
	ck_assert_ptr_nonnull(find(t1, cat));
	ck_assert_int_eq(must(t1, cat)->entity, STOREKEY_OPTIONAL);
	/* The old object is still readable (a request may hold its names). */
	ck_assert_str_eq(t0->categories[0].name, "documents");
	/* Nothing changed: read again, the same object kept. */
	ck_assert_ptr_eq(taxonomy_cached(pg, 1000 + 2 * TTL, TTL), t1);
	/* Removal is seen the same way. */
	ck_assert_int_eq(taxonomy_remove(pg, cat, NULL, &held, &errstr), ERR_OK);
	ck_assert_ptr_eq(taxonomy_cached(pg, 1000 + 3 * TTL - 1, TTL), t1);
	t2 = taxonomy_cached(pg, 1000 + 3 * TTL, TTL);
	ck_assert_ptr_null(find(t2, cat));
	/* No connection: the last good tree, and it is read again next time. */
	t3 = taxonomy_cached(NULL, 1000 + 5 * TTL, TTL);
	ck_assert_ptr_eq(t3, t2);
	/* ttl 0: every call reads. */
	ck_assert_int_eq(taxonomy_add(pg, cat2, NULL, NULL, NULL, &errstr), ERR_OK);
	ck_assert_ptr_nonnull(find(taxonomy_cached(pg, 1000 + 5 * TTL, 0), cat2));
	ck_assert_int_eq(taxonomy_remove(pg, cat2, NULL, &held, &errstr), ERR_OK);
}
END_TEST

/* Rows that would not make a valid tree (written behind cofferctl's back)
 * never replace a good one. */
START_TEST(test_invalid_rows_keep_the_previous_tree)
{
	const struct storekey_taxonomy *t0;
	char sql[256];
	PGresult *res;

	t0 = taxonomy_cached(pg, 0, 0);
	ck_assert_ptr_nonnull(t0);
	snprintf(sql, sizeof(sql), "INSERT INTO categories (name, entity_id) VALUES ('%s', "
	    "'optional'); INSERT INTO subcategories (category, name) VALUES ('%s', 'x')", cat, cat);
	res = PQexec(pg, sql);
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	ck_assert_ptr_eq(taxonomy_cached(pg, 1, 0), t0);
	/* And a fresh worker (nothing cached) has none rather than a bad one. */
	taxonomy_cache_free();
	ck_assert_ptr_null(taxonomy_cached(pg, 2, 0));
}
END_TEST

/* What cofferctl category add refuses, and what it accepts. */
START_TEST(test_add_rules)
{
	static const char *const bad[] = { "../x", "Bad", "-a", "", "a/b", "a b",
	    "abcdefghijklmnopqrstuvwxyz0123456", "doc\\u0000" };
	const char *errstr = NULL;
	struct storekey_taxonomy *t;
	int64_t held;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(taxonomy_add(pg, bad[i], NULL, NULL, NULL, &errstr), ERR_BADREQ);
		ck_assert_int_eq(taxonomy_add(pg, bad[i], "documents", NULL, NULL, &errstr), ERR_BADREQ);
	}
	ck_assert_int_eq(taxonomy_add(pg, "documents", NULL, NULL, NULL, &errstr), ERR_CONFLICT);
	ck_assert_int_eq(taxonomy_add(pg, "leases", "documents", NULL, NULL, &errstr), ERR_CONFLICT);
	ck_assert_int_eq(taxonomy_add(pg, cat, "no-such-parent", NULL, NULL, &errstr), ERR_NOTFOUND);
	ck_assert_int_eq(taxonomy_add(pg, cat, NULL, "sometimes", NULL, &errstr), ERR_BADREQ);
	ck_assert_int_eq(taxonomy_add(pg, cat, NULL, NULL, "never", &errstr), ERR_BADREQ);
	ck_assert_int_eq(taxonomy_add(pg, cat, "documents", "required", NULL, &errstr), ERR_BADREQ);
	/* An optional entity id and subcategories exclude each other. */
	ck_assert_int_eq(taxonomy_add(pg, cat, NULL, "optional", NULL, &errstr), ERR_OK);
	ck_assert_int_eq(taxonomy_add(pg, "x", cat, NULL, NULL, &errstr), ERR_BADREQ);
	ck_assert_int_eq(taxonomy_remove(pg, cat, NULL, &held, &errstr), ERR_OK);
	/* A required entity and required subcategories: as the rows say. */
	ck_assert_int_eq(taxonomy_add(pg, cat, NULL, "required", "required", &errstr), ERR_OK);
	ck_assert_int_eq(taxonomy_add(pg, "scans", cat, NULL, NULL, &errstr), ERR_OK);
	ck_assert_int_eq(taxonomy_load(pg, &t, &errstr), ERR_OK);
	ck_assert_int_eq(must(t, cat)->entity, STOREKEY_REQUIRED);
	ck_assert_int_eq(must(t, cat)->sub, STOREKEY_REQUIRED);
	ck_assert_str_eq(must(t, cat)->subcategories[0], "scans");
	taxonomy_free(t);
	ck_assert_int_eq(taxonomy_remove(pg, "scans", "documents", &held, &errstr), ERR_NOTFOUND);
	ck_assert_int_eq(taxonomy_remove(pg, "nope", NULL, &held, &errstr), ERR_NOTFOUND);
	/* Removing the category takes its subcategories with it. */
	ck_assert_int_eq(taxonomy_remove(pg, cat, NULL, &held, &errstr), ERR_OK);
	ck_assert_int_eq(taxonomy_load(pg, &t, &errstr), ERR_OK);
	ck_assert_ptr_null(find(t, cat));
	taxonomy_free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("taxonomy_db");
	TCase *tc = tcase_create("taxonomy");
	SRunner *sr;
	int failed;

	if ((dburl = getenv("DATABASE_URL")) == NULL || *dburl == '\0') {
		fprintf(stderr, "check_taxonomy: DATABASE_URL is not set: run it against a "
		    "migrated PostgreSQL (scripts/stack up DIR, then source DIR/stack.env)\n");
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seeded_tree_is_the_seed);
	tcase_add_test(tc, test_cache_bound);
	tcase_add_test(tc, test_invalid_rows_keep_the_previous_tree);
	tcase_add_test(tc, test_add_rules);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
