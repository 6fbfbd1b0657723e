/* check_tusparts.c - the plan of a resumable upload's S3 parts, and the CompleteMultipartUpload body. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tusparts.h"
#include "store/s3multi.h"

#define MiB	(INT64_C(1) << 20)

START_TEST(test_only_uploads_longer_than_a_part)
{
	ck_assert(!tusparts_wanted(16 * MiB, 16 * MiB));	/* one part: a plain put */
	ck_assert(tusparts_wanted(16 * MiB + 1, 16 * MiB));
	ck_assert(!tusparts_wanted(1, 5 * MiB));
	ck_assert(!tusparts_wanted(100, 0));
	/* More than S3's 10000 parts: the plain put (which refuses it too). */
	ck_assert(tusparts_wanted(10000 * 5 * MiB, 5 * MiB));
	ck_assert(!tusparts_wanted(10000 * 5 * MiB + 1, 5 * MiB));
}
END_TEST

START_TEST(test_count_and_ranges)
{
	int64_t off, len;

	ck_assert_int_eq(tusparts_count(24 * MiB, 16 * MiB), 2);
	ck_assert_int_eq(tusparts_count(32 * MiB, 16 * MiB), 2);
	ck_assert_int_eq(tusparts_count(32 * MiB + 1, 16 * MiB), 3);
	ck_assert_int_eq(tusparts_count(0, 16 * MiB), 0);
	tusparts_range(24 * MiB, 16 * MiB, 1, &off, &len);
	ck_assert(off == 0 && len == 16 * MiB);
	tusparts_range(24 * MiB, 16 * MiB, 2, &off, &len);
	ck_assert(off == 16 * MiB && len == 8 * MiB);
	tusparts_range(32 * MiB, 16 * MiB, 2, &off, &len);
	ck_assert(off == 16 * MiB && len == 16 * MiB);
}
END_TEST

START_TEST(test_due_parts_are_full_and_never_the_last)
{
	/* 40 MiB in parts of 16: 16 + 16 + 8. */
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 0), 0);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 16 * MiB - 1), 0);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 16 * MiB), 1);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 32 * MiB - 1), 1);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 32 * MiB), 2);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 40 * MiB), 2);
	/* 32 MiB: the second full part is the last: completion sends it. */
	ck_assert_int_eq(tusparts_due(32 * MiB, 16 * MiB, 32 * MiB), 1);
	/* An offset past the length (never acknowledged) changes nothing. */
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, 90 * MiB), 2);
	ck_assert_int_eq(tusparts_due(40 * MiB, 16 * MiB, -1), 0);
}
END_TEST

START_TEST(test_complete_xml)
{
	struct store_part p[2] = {
		{ .number = 1, .etag = "\"0123456789abcdef0123456789abcdef\"", .size = 5 * MiB },
		{ .number = 2, .etag = "\"fedcba9876543210fedcba9876543210\"", .size = 1 },
	};
	char *xml = s3multi_complete_xml(p, 2);

	ck_assert_str_eq(xml, "<CompleteMultipartUpload>"
	    "<Part><PartNumber>1</PartNumber><ETag>\"0123456789abcdef0123456789abcdef\"</ETag></Part>"
	    "<Part><PartNumber>2</PartNumber><ETag>\"fedcba9876543210fedcba9876543210\"</ETag></Part>"
	    "</CompleteMultipartUpload>");
	free(xml);
	/* What a row could hold but XML must not carry is refused. */
	snprintf(p[1].etag, sizeof(p[1].etag), "\"</ETag><Part>\"");
	ck_assert_ptr_null(s3multi_complete_xml(p, 2));
	p[1].etag[0] = '\0';
	ck_assert_ptr_null(s3multi_complete_xml(p, 2));
	p[1].number = 10001;
	snprintf(p[1].etag, sizeof(p[1].etag), "\"x\"");
	ck_assert_ptr_null(s3multi_complete_xml(p, 2));
	ck_assert_ptr_null(s3multi_complete_xml(p, 0));
	/* The longest part list fits its one allocation. */
	{
		struct store_part *many = calloc(10000, sizeof(*many));
		int i;

		for (i = 0; i < 10000; i++) {
			many[i].number = i + 1;
			memset(many[i].etag, 'e', sizeof(many[i].etag) - 1);
		}
		xml = s3multi_complete_xml(many, 10000);
		ck_assert_ptr_nonnull(xml);
		ck_assert(strstr(xml, "<PartNumber>10000</PartNumber>") != NULL);
		ck_assert(strcmp(xml + strlen(xml) - 26, "</CompleteMultipartUpload>") == 0);
		free(xml);
		free(many);
	}
}
END_TEST

START_TEST(test_no_request_without_key_and_upload_id)
{
	/* Refused before any request (the handle is never touched): an
	 * empty key would make it a request on the bucket itself. */
	struct store_part part, one = { .number = 1, .etag = "\"e\"", .size = 1 };
	const char *err = NULL;

	ck_assert_int_eq(s3multi_abort(NULL, "", "id", &err), ERR_INTERNAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(s3multi_abort(NULL, "customers/x", "", &err), ERR_INTERNAL);
	ck_assert_int_eq(s3multi_part(NULL, "", "id", 1, -1, 0, 1, &part, &err), ERR_INTERNAL);
	ck_assert_int_eq(s3multi_complete(NULL, "k", "", &one, 1, &err), ERR_INTERNAL);
}
END_TEST

static Suite *
tusparts_suite(void)
{
	Suite *s = suite_create("tusparts");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_only_uploads_longer_than_a_part);
	tcase_add_test(tc, test_count_and_ranges);
	tcase_add_test(tc, test_due_parts_are_full_and_never_the_last);
	tcase_add_test(tc, test_complete_xml);
	tcase_add_test(tc, test_no_request_without_key_and_upload_id);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tusparts_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
