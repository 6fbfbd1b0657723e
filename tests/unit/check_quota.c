/* check_quota.c - the parts of quota.c that need no database: formatBytes and limits. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/quota.h"

static const char *
fmt(int64_t n)
{
	static char buf[QUOTA_FMT_LEN];

	return quota_format_bytes(n, buf, sizeof(buf));
}

/* The seed's formatBytes() arithmetic (powers of 1024, toFixed(2)), with IEC unit names. */
START_TEST(test_format_bytes_seed)
{
	ck_assert_str_eq(fmt(0), "0 Bytes");
	ck_assert_str_eq(fmt(1), "1 Bytes");
	ck_assert_str_eq(fmt(1023), "1023 Bytes");
	ck_assert_str_eq(fmt(1024), "1 KiB");
	ck_assert_str_eq(fmt(1025), "1 KiB");		/* 1.0009765625 -> "1.00" -> 1 */
	ck_assert_str_eq(fmt(1075), "1.05 KiB");		/* 1.0498046875 */
	ck_assert_str_eq(fmt(1536), "1.5 KiB");		/* trailing zero dropped */
	ck_assert_str_eq(fmt(1152), "1.13 KiB");		/* 1.125 exactly: toFixed rounds the tie up */
	ck_assert_str_eq(fmt(1030), "1.01 KiB");
	ck_assert_str_eq(fmt(10291), "10.05 KiB");
	ck_assert_str_eq(fmt(1048575), "1024 KiB");	/* 1023.999...: no carry, as in JS */
	ck_assert_str_eq(fmt(1048576), "1 MiB");
	ck_assert_str_eq(fmt(1572864), "1.5 MiB");
	ck_assert_str_eq(fmt(1234567), "1.18 MiB");
	ck_assert_str_eq(fmt(INT64_C(5368709120)), "5 GiB");
	ck_assert_str_eq(fmt(INT64_C(53687091200)), "50 GiB");
	ck_assert_str_eq(fmt(INT64_C(107374182400)), "100 GiB");
	ck_assert_str_eq(fmt(INT64_C(1099511627776)), "1 TiB");
	ck_assert_str_eq(fmt(INT64_C(1649267441664)), "1.5 TiB");
}
END_TEST

START_TEST(test_format_bytes_edges)
{
	/* The seed prints "NaN undefined" and "1 undefined" here. */
	ck_assert_str_eq(fmt(-5), "0 Bytes");
	ck_assert_str_eq(fmt(INT64_C(1125899906842624)), "1024 TiB");
	ck_assert_str_eq(fmt(INT64_MAX), "8388608 TiB");
}
END_TEST

START_TEST(test_parse_limit)
{
	struct quota_limit l;

	ck_assert_int_eq(quota_parse_limit("5GiB", false, &l), 0);
	ck_assert_int_eq(l.kind, QUOTA_LIMIT_BYTES);
	ck_assert_int_eq(l.bytes, INT64_C(5368709120));
	ck_assert_int_eq(quota_parse_limit("500MB", false, &l), 0);
	ck_assert_int_eq(l.bytes, INT64_C(500000000));
	ck_assert_int_eq(quota_parse_limit("1048576", false, &l), 0);
	ck_assert_int_eq(l.bytes, 1048576);
	ck_assert_int_eq(quota_parse_limit("unlimited", false, &l), 0);
	ck_assert_int_eq(l.kind, QUOTA_LIMIT_UNLIMITED);
	ck_assert_int_eq(quota_parse_limit("plan", true, &l), 0);
	ck_assert_int_eq(l.kind, QUOTA_LIMIT_PLAN);
	ck_assert_int_eq(quota_parse_limit("plan", false, &l), -1);
	ck_assert_int_eq(quota_parse_limit("-1", false, &l), -1);
	ck_assert_int_eq(quota_parse_limit("5 parsecs", false, &l), -1);
	ck_assert_int_eq(quota_parse_limit("99999999999TiB", false, &l), -1);
}
END_TEST

START_TEST(test_charge)
{
	/* Whole blocks, then the metadata. */
	ck_assert_int_eq(quota_charge(5, 0, 4096), 4096);
	ck_assert_int_eq(quota_charge(4096, 0, 4096), 4096);
	ck_assert_int_eq(quota_charge(4097, 0, 4096), 8192);
	ck_assert_int_eq(quota_charge(5, 16384, 4096), 4096 + 16384);
	/* Block 1 and no metadata: the bare size. */
	ck_assert_int_eq(quota_charge(12345, 0, 1), 12345);
	ck_assert_int_eq(quota_charge(0, 0, 4096), 0);
	/* Never overflows. */
	ck_assert_int_eq(quota_charge(INT64_MAX, 0, 4096), INT64_MAX);
	ck_assert_int_eq(quota_charge(INT64_MAX - 10, 100, 1), INT64_MAX);
	ck_assert_int_eq(quota_charge(-1, 0, 4096), 0);
}
END_TEST

START_TEST(test_info_json)
{
	struct quota_info q = { .used = 1572864, .reserved = 0, .unlimited = true,
	    .plan = "enterprise", .status = "active" };
	struct json_object *o = quota_info_json(&q), *v;

	ck_assert(json_object_object_get_ex(o, "limit", &v) && v == NULL);
	ck_assert(json_object_object_get_ex(o, "available", &v) && v == NULL);
	ck_assert(json_object_object_get_ex(o, "percentage", &v));
	ck_assert(json_object_get_double(v) == 0.0);
	ck_assert(json_object_object_get_ex(o, "limitFormatted", &v));
	ck_assert_str_eq(json_object_get_string(v), "Unlimited");
	ck_assert(json_object_object_get_ex(o, "availableFormatted", &v));
	ck_assert_str_eq(json_object_get_string(v), "Unlimited");
	ck_assert(json_object_object_get_ex(o, "usedFormatted", &v));
	ck_assert_str_eq(json_object_get_string(v), "1.5 MiB");
	ck_assert(json_object_object_get_ex(o, "canUpload", &v) && json_object_get_boolean(v));
	json_object_put(o);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("pure");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_format_bytes_seed);
	tcase_add_test(tc, test_format_bytes_edges);
	tcase_add_test(tc, test_parse_limit);
	tcase_add_test(tc, test_info_json);
	tcase_add_test(tc, test_charge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
