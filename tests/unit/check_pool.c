/* check_pool.c - request arenas: alignment, large blocks, cleanup order. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"

static int order[4], norder;

static void
record(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

START_TEST(test_alloc_aligned_and_distinct)
{
	struct pool *p = pool_new();
	char *a = pool_alloc(p, 3), *b = pool_alloc(p, 5);

	ck_assert_int_eq((uintptr_t)a % 16, 0);
	ck_assert_int_eq((uintptr_t)b % 16, 0);
	ck_assert_ptr_ne(a, b);
	memset(a, 'x', 3);
	memset(b, 'y', 5);
	ck_assert_int_eq(a[2], 'x');
	pool_free(p);
}
END_TEST

START_TEST(test_large_and_many)
{
	struct pool *p = pool_new();
	char *big = pool_alloc(p, 1 << 20);
	int i;

	memset(big, 1, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert_ptr_nonnull(pool_zalloc(p, 100));
	ck_assert_str_eq(pool_printf(p, "%s-%d", "id", 42), "id-42");
	ck_assert_str_eq(pool_strndup(p, "abcdef", 3), "abc");
	pool_free(p);
}
END_TEST

START_TEST(test_cleanups_run_last_first)
{
	struct pool *p = pool_new();

	norder = 0;
	pool_cleanup_add(p, record, (void *)1);
	pool_cleanup_add(p, record, (void *)2);
	pool_cleanup_add(p, record, (void *)3);
	pool_free(p);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(order[0], 3);
	ck_assert_int_eq(order[2], 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_alloc_aligned_and_distinct);
	tcase_add_test(tc, test_large_and_many);
	tcase_add_test(tc, test_cleanups_run_last_first);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
