/* check_metadata.c - the metadata field: RFC 8259 exactly, numbers exact, what json-c alone lets through. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metadata.h"

struct refused {
	const char	*json;
	size_t		 len;		/* 0: strlen */
};

/*
 * Each of these json-c 0.16 accepts even with JSON_TOKENER_STRICT and
 * JSON_TOKENER_VALIDATE_UTF8 (stored changed, or a 500 from jsonb), or
 * RFC 8259 forbids.
 */
static const struct refused refused[] = {
	{ "{\"a\":\"\xff\"}", 0 },			/* invalid UTF-8 */
	{ "{\"a\":\"\xc0\xaf\"}", 0 },			/* overlong */
	{ "{\"a\":\"\xed\xa0\x80\"}", 0 },		/* UTF-8 surrogate */
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0 },		/* past U+10FFFF */
	{ "{\"a\":\"\xe2\x82\"}", 0 },			/* truncated */
	{ "{\"a\":\"x\\u0000y\"}", 0 },
	{ "{\"\\u0000\":1}", 0 },
	{ "{\"a\":\"x\0y\"}", 11 },			/* a raw NUL */
	{ "{\"a\":\"\\ud800\"}", 0 },			/* lone surrogates */
	{ "{\"a\":\"\\udc00\"}", 0 },
	{ "{\"a\":\"\\ud800\\u0041\"}", 0 },
	{ "{\"a\":\"\x01\"}", 0 },			/* raw control character */
	{ "{\"a\":\"\t\"}", 0 },
	{ "{\"a\":NaN}", 0 },
	{ "{\"a\":Infinity}", 0 },
	{ "{\"a\":-Infinity}", 0 },
	{ "{'a':1}", 0 },
	{ "{\"a\":'x'}", 0 },
	{ "{\"a\":1/*c*/}", 0 },
	{ "{\"a\":1//c\n}", 0 },
	{ "{\"a\":1,}", 0 },
	{ "{\"a\":[1,]}", 0 },
	{ "{,}", 0 },
	{ "{\"a\"}", 0 },
	{ "{\"a\":1.}", 0 },
	{ "{\"a\":.5}", 0 },
	{ "{\"a\":01}", 0 },
	{ "{\"a\":+1}", 0 },
	{ "{\"a\":0x10}", 0 },
	{ "{\"a\":1e}", 0 },
	{ "{\"a\":-}", 0 },
	{ "{\"a\":True}", 0 },
	{ "{\"a\":nul}", 0 },
	{ "{\"a\":\"\\x41\"}", 0 },
	{ "{\"a\":\"\\u12\"}", 0 },
	{ "{\"a\":123456789012345678901234567890}", 0 },	/* clamped by json-c */
	{ "{\"a\":-123456789012345678901234567890}", 0 },
	{ "{\"a\":9223372036854775808}", 0 },
	{ "{\"a\":-9223372036854775809}", 0 },
	{ "{\"a\":1e19}", 0 },				/* jsonb prints 10000000000000000000 */
	{ "{\"a\":9.3e18}", 0 },
	{ "{\"a\":1e309}", 0 },
	{ "{\"a\":1e308}", 0 },				/* 309 digits once jsonb prints it */
	{ "{\"a\":1e-309}", 0 },
	{ "{\"a\":1,\"a\":2}", 0 },			/* json-c keeps the last */
	{ "{\"a\":1,\"\\u0061\":2}", 0 },
	{ "{\"o\":{\"a\":{\"x\":1},\"a\":{}}}", 0 },
	{ "{\"a\":1}x", 0 },
	{ "{\"a\":1}{}", 0 },
	{ "[1]", 0 },
	{ "\"x\"", 0 },
	{ "", 0 },
	{ "   ", 0 },
	{ "{", 0 },
	{ "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}", 0 },	/* 9 deep */
};

/* Accepted, and the compact form stored. */
static const struct {
	const char	*json;
	const char	*norm;
} accepted[] = {
	{ " { \"a\" : 1 } \n", "{\"a\":1}" },
	{ "{}", "{}" },
	{ "{\"a\":9223372036854775807,\"b\":-9223372036854775808}",
	  "{\"a\":9223372036854775807,\"b\":-9223372036854775808}" },
	{ "{\"a\":922337203685477580.7e1}", "{\"a\":922337203685477580.7e1}" },
	{ "{\"a\":12345678901234567890123.5}", "{\"a\":12345678901234567890123.5}" },
	{ "{\"a\":1e18,\"b\":-1.5E-308,\"c\":1.5e-1}", NULL },
	{ "{\"a\":0.000000000000000000000000001}", "{\"a\":0.000000000000000000000000001}" },
	{ "{\"a\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80 \xc3\xa9\"}", NULL },
	{ "{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":1}]}", NULL },
	{ "{\"a\":[true,false,null,\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]}", NULL },
	{ "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}", NULL },	/* 8 deep */
};

START_TEST(test_refused)
{
	const char *code, *errstr;
	const char *j = refused[_i].json;
	size_t len = refused[_i].len ? refused[_i].len : strlen(j);
	char *out = (char *)1;

	ck_assert_msg(metadata_normalize(j, len, &out, &code, &errstr) == ERR_BADREQ,
	    "accepted #%d: %s", _i, j);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(code, "INVALID_METADATA");
	ck_assert_ptr_nonnull(errstr);
}
END_TEST

START_TEST(test_accepted)
{
	const char *code, *errstr;
	char *out = NULL, *again = NULL;

	ck_assert_msg(metadata_normalize(accepted[_i].json, strlen(accepted[_i].json), &out,
	    &code, &errstr) == ERR_OK, "refused #%d: %s (%s)", _i, accepted[_i].json, errstr);
	if (accepted[_i].norm != NULL)
		ck_assert_str_eq(out, accepted[_i].norm);
	/* The stored form is itself accepted, unchanged. */
	ck_assert_int_eq(metadata_normalize(out, strlen(out), &again, &code, &errstr), ERR_OK);
	ck_assert_str_eq(out, again);
	free(out);
	free(again);
}
END_TEST

START_TEST(test_too_large)
{
	const char *code, *errstr;
	char *out, *big = malloc(METADATA_MAX + 16);

	memset(big, ' ', METADATA_MAX + 16);
	big[0] = '{';
	big[METADATA_MAX - 1] = '}';
	ck_assert_int_eq(metadata_normalize(big, METADATA_MAX, &out, &code, &errstr), ERR_OK);
	free(out);
	ck_assert_int_eq(metadata_normalize(big, METADATA_MAX + 1, &out, &code, &errstr),
	    ERR_BADREQ);
	ck_assert_str_eq(code, "METADATA_TOO_LARGE");
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metadata");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_loop_test(tc, test_accepted, 0, (int)(sizeof(accepted) / sizeof(accepted[0])));
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
