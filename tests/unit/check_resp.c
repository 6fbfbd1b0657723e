/* check_resp.c - the one error-to-HTTP mapping. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "http/resp.h"

START_TEST(test_status_mapping)
{
	ck_assert_int_eq(resp_status_for(ERR_BADREQ), 400);
	ck_assert_int_eq(resp_status_for(ERR_AUTH), 401);
	ck_assert_int_eq(resp_status_for(ERR_FORBIDDEN), 403);
	ck_assert_int_eq(resp_status_for(ERR_NOTFOUND), 404);
	ck_assert_int_eq(resp_status_for(ERR_CONFLICT), 409);
	ck_assert_int_eq(resp_status_for(ERR_TOOBIG), 413);
	ck_assert_int_eq(resp_status_for(ERR_MIME), 415);
	ck_assert_int_eq(resp_status_for(ERR_QUOTA), 507);
	ck_assert_int_eq(resp_status_for(ERR_DB), 503);
	ck_assert_int_eq(resp_status_for(ERR_BACKEND), 503);
	ck_assert_int_eq(resp_status_for(ERR_INTERNAL), 500);
	ck_assert_int_eq(resp_status_for((enum err)9999), 500);
	ck_assert_str_eq(resp_code_for(ERR_QUOTA), "QUOTA_EXCEEDED");
	ck_assert_str_eq(resp_code_for(ERR_MIME), "MIME_NOT_ALLOWED");
	ck_assert_str_eq(resp_code_for(ERR_TOOBIG), "FILE_TOO_LARGE");
	ck_assert_str_eq(resp_code_for(ERR_BACKEND), "BACKEND_UNAVAILABLE");
}
END_TEST

START_TEST(test_every_code_named)
{
	int i;

	for (i = 0; i < ERR__COUNT; i++) {
		ck_assert_ptr_nonnull(resp_code_for((enum err)i));
		ck_assert_str_ne(err_strerror((enum err)i), "unknown error");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("resp");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_status_mapping);
	tcase_add_test(tc, test_every_code_named);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
