/* check_resp.c - the one error-to-HTTP mapping. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "http/errcodes.h"
#include "http/req.h"
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

/* Every default code is in the catalogue, with the status it comes with. */
START_TEST(test_defaults_catalogued)
{
	const struct errcode *e;
	int i;

	for (i = 1; i < ERR__COUNT; i++) {
		e = errcodes_find(resp_code_for((enum err)i));
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->status, resp_status_for((enum err)i));
	}
	ck_assert_ptr_null(errcodes_find("NO_SUCH_CODE"));
	ck_assert_ptr_null(errcodes_find(NULL));
}
END_TEST

/* req_fail_engine(): rc and subject to what the client hears. */
static void
engine_case(enum err rc, enum req_subject about, int status, const char *code)
{
	struct req r;
	enum err out;

	memset(&r, 0, sizeof(r));
	r.pool = pool_new();
	out = req_fail_engine(&r, rc, about, "test", NULL);
	ck_assert_int_eq(resp_status_for(out), status);
	ck_assert_str_eq(r.err_code != NULL ? r.err_code : resp_code_for(out), code);
	pool_free(r.pool);
}

START_TEST(test_fail_engine)
{
	/* The customer's absence is 403 everywhere, as /auth says it. */
	engine_case(ERR_NOTFOUND, REQ_CUSTOMER, 403, "CUSTOMER_NOT_FOUND");
	engine_case(ERR_FORBIDDEN, REQ_CUSTOMER, 403, "CUSTOMER_SUSPENDED");
	engine_case(ERR_NOTFOUND, REQ_FILE, 404, "FILE_NOT_FOUND");
	engine_case(ERR_BADREQ, REQ_FILE, 404, "FILE_NOT_FOUND");
	/* A step of ours that finds nothing, or a conflict, is a defect. */
	engine_case(ERR_NOTFOUND, REQ_NONE, 500, "INTERNAL_ERROR");
	engine_case(ERR_CONFLICT, REQ_CUSTOMER, 500, "INTERNAL_ERROR");
	engine_case(ERR_INTERNAL, REQ_CUSTOMER, 500, "INTERNAL_ERROR");
	engine_case(ERR_BADREQ, REQ_CUSTOMER, 500, "INTERNAL_ERROR");
	engine_case(ERR_FORBIDDEN, REQ_FILE, 500, "INTERNAL_ERROR");
	engine_case(ERR_DB, REQ_FILE, 503, "DATABASE_UNAVAILABLE");
	engine_case(ERR_BACKEND, REQ_NONE, 503, "BACKEND_UNAVAILABLE");
	engine_case(ERR_NOMEM, REQ_NONE, 503, "OVERLOADED");
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
	tcase_add_test(tc, test_defaults_catalogued);
	tcase_add_test(tc, test_fail_engine);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
