/* check_authz.c - identity params from nginx and the role/action table. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/authz.h"
#include "engine/identity.h"
#include "base/pool.h"
#include "http/req.h"

#define CUSTOMER	"3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a10"

START_TEST(test_uuid_canon)
{
	char out[IDENTITY_UUID_LEN + 1];

	ck_assert_int_eq(identity_uuid_canon(CUSTOMER, out), 0);
	ck_assert_str_eq(out, CUSTOMER);
	ck_assert_int_eq(identity_uuid_canon("3F1C2A9E-5B7D-4C11-9A0E-2B6F8D4E7A10", out), 0);
	ck_assert_str_eq(out, CUSTOMER);
	ck_assert_int_eq(identity_uuid_canon(NULL, out), -1);
	ck_assert_int_eq(identity_uuid_canon("", out), -1);
	ck_assert_int_eq(identity_uuid_canon("3f1c2a9e5b7d4c119a0e2b6f8d4e7a10", out), -1);
	ck_assert_int_eq(identity_uuid_canon("{3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a1}", out), -1);
	ck_assert_int_eq(identity_uuid_canon("3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a1g", out), -1);
	ck_assert_int_eq(identity_uuid_canon("3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a10 ", out), -1);
	ck_assert_int_eq(identity_uuid_canon("3f1c2a9e-5b7d-4c11-9a0e2-b6f8d4e7a10", out), -1);
	ck_assert_int_eq(identity_uuid_canon("../../../../../../etc/passwd/xxxxxx", out), -1);
}
END_TEST

START_TEST(test_user_and_role)
{
	char big[IDENTITY_USER_MAX + 2];

	ck_assert_int_eq(identity_user_valid("auth0|42"), 0);
	ck_assert_int_eq(identity_user_valid("apikey:" CUSTOMER), 0);
	ck_assert_int_eq(identity_user_valid(""), -1);
	ck_assert_int_eq(identity_user_valid(NULL), -1);
	ck_assert_int_eq(identity_user_valid("a b"), -1);
	ck_assert_int_eq(identity_user_valid("a\r\nb"), -1);
	ck_assert_int_eq(identity_user_valid("caf\xc3\xa9"), -1);
	memset(big, 'x', sizeof(big) - 1);
	big[IDENTITY_USER_MAX] = '\0';
	ck_assert_int_eq(identity_user_valid(big), 0);
	big[IDENTITY_USER_MAX] = 'x';
	big[IDENTITY_USER_MAX + 1] = '\0';
	ck_assert_int_eq(identity_user_valid(big), -1);

	ck_assert_int_eq(identity_role_parse("member"), ROLE_MEMBER);
	ck_assert_int_eq(identity_role_parse("admin"), ROLE_ADMIN);
	ck_assert_int_eq(identity_role_parse("platform"), ROLE_PLATFORM);
	ck_assert_int_eq(identity_role_parse("none"), ROLE_NONE);
	ck_assert_int_eq(identity_role_parse("ADMIN"), ROLE_NONE);
	ck_assert_int_eq(identity_role_parse(NULL), ROLE_NONE);
	ck_assert_str_eq(identity_role_name(ROLE_ADMIN), "admin");
	ck_assert_str_eq(identity_role_name((enum role)99), "none");
}
END_TEST

/* req_identity() over a fake FastCGI environment. */
static enum err
from_params(char **envp, const struct identity **id, struct req *r, FCGX_Request *fr)
{
	memset(r, 0, sizeof(*r));
	memset(fr, 0, sizeof(*fr));
	fr->envp = envp;
	r->fcgx = fr;
	r->pool = pool_new();
	r->method = "GET";
	r->path = "/api/whoami";
	return req_identity(r, id);
}

START_TEST(test_identity_from_params)
{
	char *good[] = { "COFFER_CUSTOMER=" CUSTOMER, "COFFER_USER=u-1", "COFFER_ROLE=admin",
	    "HTTP_X_COFFER_CUSTOMER=9d2e4b61-0c3a-4f5e-8b7d-1a2c3e4f5a6b", NULL };
	char *platform[] = { "COFFER_CUSTOMER=", "COFFER_USER=op", "COFFER_ROLE=platform", NULL };
	char *client_only[] = { "HTTP_X_COFFER_CUSTOMER=" CUSTOMER, "HTTP_X_COFFER_USER=u",
	    "HTTP_X_COFFER_ROLE=platform", NULL };
	char *member_no_customer[] = { "COFFER_CUSTOMER=", "COFFER_USER=u", "COFFER_ROLE=member", NULL };
	char *bad_customer[] = { "COFFER_CUSTOMER=x", "COFFER_USER=u", "COFFER_ROLE=admin", NULL };
	char *bad_role[] = { "COFFER_CUSTOMER=" CUSTOMER, "COFFER_USER=u", "COFFER_ROLE=root", NULL };
	const struct identity *id, *again;
	FCGX_Request fr;
	struct req r;

	ck_assert_int_eq(from_params(good, &id, &r, &fr), ERR_OK);
	ck_assert_str_eq(id->customer, CUSTOMER);	/* never the client's header */
	ck_assert_str_eq(id->user, "u-1");
	ck_assert_int_eq(id->role, ROLE_ADMIN);
	ck_assert_int_eq(req_identity(&r, &again), ERR_OK);
	ck_assert_ptr_eq(again, id);
	pool_free(r.pool);

	ck_assert_int_eq(from_params(platform, &id, &r, &fr), ERR_OK);
	ck_assert_str_eq(id->customer, "");
	ck_assert_int_eq(id->role, ROLE_PLATFORM);
	pool_free(r.pool);

	ck_assert_int_eq(from_params(client_only, &id, &r, &fr), ERR_INTERNAL);
	ck_assert_ptr_null(id);
	pool_free(r.pool);
	ck_assert_int_eq(from_params(member_no_customer, &id, &r, &fr), ERR_INTERNAL);
	pool_free(r.pool);
	ck_assert_int_eq(from_params(bad_customer, &id, &r, &fr), ERR_INTERNAL);
	pool_free(r.pool);
	ck_assert_int_eq(from_params(bad_role, &id, &r, &fr), ERR_INTERNAL);
	pool_free(r.pool);
}
END_TEST

START_TEST(test_authz_table)
{
	struct identity member = { CUSTOMER, "u", ROLE_MEMBER };
	struct identity admin = { CUSTOMER, "u", ROLE_ADMIN };
	struct identity platform = { CUSTOMER, "op", ROLE_PLATFORM };
	struct identity platform_none = { "", "op", ROLE_PLATFORM };
	struct identity nobody = { CUSTOMER, "u", ROLE_NONE };
	const char *why;

	ck_assert_int_eq(authz_require(&member, AUTHZ_IDENTIFIED, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&member, AUTHZ_MEMBER, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&member, AUTHZ_ADMIN, &why), ERR_FORBIDDEN);
	ck_assert_ptr_nonnull(strstr(why, "admin"));
	ck_assert_int_eq(authz_require(&member, AUTHZ_PLATFORM, &why), ERR_FORBIDDEN);
	ck_assert_int_eq(authz_require(&admin, AUTHZ_ADMIN, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&admin, AUTHZ_PLATFORM, &why), ERR_FORBIDDEN);
	ck_assert_int_eq(authz_require(&platform, AUTHZ_ADMIN, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&platform, AUTHZ_PLATFORM, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&platform_none, AUTHZ_IDENTIFIED, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&platform_none, AUTHZ_PLATFORM, &why), ERR_OK);
	ck_assert_int_eq(authz_require(&platform_none, AUTHZ_MEMBER, &why), ERR_BADREQ);
	ck_assert_int_eq(authz_require(&platform_none, AUTHZ_ADMIN, &why), ERR_BADREQ);
	ck_assert_int_eq(authz_require(&nobody, AUTHZ_IDENTIFIED, &why), ERR_FORBIDDEN);
	ck_assert_int_eq(authz_require(NULL, AUTHZ_IDENTIFIED, &why), ERR_FORBIDDEN);
	ck_assert_int_eq(authz_require(&admin, AUTHZ__COUNT, &why), ERR_FORBIDDEN);
	/* The levels without identity are authz_check()'s, never granted here. */
	ck_assert_int_eq(authz_require(&platform, AUTHZ_PUBLIC, &why), ERR_FORBIDDEN);
	ck_assert_int_eq(authz_require(&platform, AUTHZ_LOOPBACK, &why), ERR_FORBIDDEN);
}
END_TEST

START_TEST(test_authz_check_records_failure)
{
	char *member[] = { "COFFER_CUSTOMER=" CUSTOMER, "COFFER_USER=u", "COFFER_ROLE=member", NULL };
	char *platform_none[] = { "COFFER_CUSTOMER=", "COFFER_USER=op", "COFFER_ROLE=platform", NULL };
	const struct identity *id;
	FCGX_Request fr;
	struct req r;

	ck_assert_int_eq(from_params(member, &id, &r, &fr), ERR_OK);
	ck_assert_int_eq(authz_check(&r, AUTHZ_ADMIN, &id), ERR_FORBIDDEN);
	ck_assert_ptr_null(id);
	ck_assert_str_eq(r.err_code, "INSUFFICIENT_ROLE");
	ck_assert_int_eq(authz_check(&r, AUTHZ_IDENTIFIED, &id), ERR_OK);
	ck_assert_ptr_nonnull(id);
	pool_free(r.pool);

	ck_assert_int_eq(from_params(platform_none, &id, &r, &fr), ERR_OK);
	ck_assert_int_eq(authz_check(&r, AUTHZ_MEMBER, &id), ERR_BADREQ);
	ck_assert_str_eq(r.err_code, "CUSTOMER_REQUIRED");
	pool_free(r.pool);
}
END_TEST

/* Public and loopback levels ask for no identity: none is parsed. */
START_TEST(test_authz_check_without_identity)
{
	char *none[] = { "REMOTE_ADDR=192.0.2.7", NULL };
	char *v4[] = { "REMOTE_ADDR=127.0.0.1", NULL };
	char *v6[] = { "REMOTE_ADDR=::1", NULL };
	char *absent[] = { NULL };
	char *lookalike[] = { "REMOTE_ADDR=1270.0.0.1", NULL };
	const struct identity *id;
	FCGX_Request fr;
	struct req r;

	ck_assert_int_eq(from_params(none, &id, &r, &fr), ERR_INTERNAL);	/* no identity */
	ck_assert_int_eq(authz_check(&r, AUTHZ_PUBLIC, &id), ERR_OK);
	ck_assert_ptr_null(id);
	ck_assert_int_eq(authz_check(&r, AUTHZ_LOOPBACK, &id), ERR_FORBIDDEN);
	ck_assert_str_eq(r.err_code, "FORBIDDEN");
	pool_free(r.pool);
	from_params(v4, &id, &r, &fr);
	ck_assert_int_eq(authz_check(&r, AUTHZ_LOOPBACK, &id), ERR_OK);
	ck_assert_ptr_null(id);
	pool_free(r.pool);
	from_params(v6, &id, &r, &fr);
	ck_assert_int_eq(authz_check(&r, AUTHZ_LOOPBACK, &id), ERR_OK);
	pool_free(r.pool);
	from_params(absent, &id, &r, &fr);
	ck_assert_int_eq(authz_check(&r, AUTHZ_LOOPBACK, &id), ERR_FORBIDDEN);
	pool_free(r.pool);
	from_params(lookalike, &id, &r, &fr);
	ck_assert_int_eq(authz_check(&r, AUTHZ_LOOPBACK, &id), ERR_FORBIDDEN);
	pool_free(r.pool);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("authz");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_uuid_canon);
	tcase_add_test(tc, test_user_and_role);
	tcase_add_test(tc, test_identity_from_params);
	tcase_add_test(tc, test_authz_table);
	tcase_add_test(tc, test_authz_check_records_failure);
	tcase_add_test(tc, test_authz_check_without_identity);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
