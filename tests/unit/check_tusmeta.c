/* check_tusmeta.c - the Upload-Metadata header: tus's pairs, Coffer's keys, hostile values. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "engine/tusmeta.h"

static struct pool *pool;
static struct tusmeta m;
static const char *why;

static void
setup(void)
{
	pool = pool_new();
	memset(&m, 0, sizeof(m));
	why = NULL;
}

static void
teardown(void)
{
	pool_free(pool);
}

static enum err
parse(const char *hdr)
{
	return tusmeta_parse(hdr, pool, &m, &why);
}

START_TEST(test_tus_js_client_header)
{
	/* What tus-js-client sends for {filename, category, subcategory, filetype}. */
	ck_assert_int_eq(parse("filename YmlnLnBkZg==,category ZG9jdW1lbnRz,"
	    "subcategory Y29udHJhY3Rz,filetype YXBwbGljYXRpb24vcGRm"), ERR_OK);
	ck_assert_str_eq(m.filename, "big.pdf");
	ck_assert_str_eq(m.category, "documents");
	ck_assert_str_eq(m.subcategory, "contracts");
	ck_assert_ptr_null(m.entity_id);
	ck_assert_ptr_null(m.metadata);
}
END_TEST

START_TEST(test_entity_metadata_and_empty_values)
{
	/* {"a":1} is eyJhIjoxfQ==; a key without a value is allowed. */
	ck_assert_int_eq(parse("entityId cHJvcC0x, metadata eyJhIjoxfQ==,is_confidential"), ERR_OK);
	ck_assert_str_eq(m.entity_id, "prop-1");
	ck_assert_str_eq(m.metadata, "{\"a\":1}");
	ck_assert_uint_eq(m.metadata_len, 7);
	/* "key " is "key" (blanks around a pair are not part of it). */
	ck_assert_int_eq(parse("filename "), ERR_OK);
	ck_assert_ptr_null(m.filename);
	ck_assert_int_eq(parse(""), ERR_OK);
	ck_assert_ptr_null(m.filename);
	ck_assert_int_eq(parse(NULL), ERR_OK);
}
END_TEST

START_TEST(test_uppy_name_is_the_filename_fallback)
{
	ck_assert_int_eq(parse("name YS5wZGY="), ERR_OK);
	ck_assert_str_eq(m.filename, "a.pdf");
	ck_assert_int_eq(parse("name YS5wZGY=,filename Yi5wZGY="), ERR_OK);
	ck_assert_str_eq(m.filename, "b.pdf");
}
END_TEST

START_TEST(test_padding_lengths)
{
	ck_assert_int_eq(parse("filename YQ=="), ERR_OK);
	ck_assert_str_eq(m.filename, "a");
	ck_assert_int_eq(parse("filename YWI="), ERR_OK);
	ck_assert_str_eq(m.filename, "ab");
	ck_assert_int_eq(parse("filename YWJj"), ERR_OK);
	ck_assert_str_eq(m.filename, "abc");
}
END_TEST

START_TEST(test_hostile_headers)
{
	static const char *const bad[] = {
		"filename !!!!",		/* not base64 */
		"filename YQ",			/* unpadded */
		"filename Y=Q=",		/* padding inside */
		"filename  YQ==",		/* two spaces */
		"filename YQ==,filename YQ==",	/* twice */
		"category AA==",		/* a NUL byte */
		"filename YQ==,,category YQ==",	/* an empty pair */
		",",
		"fil\x01name YQ==",		/* control character in a key */
		"filename\tYQ==",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i]) == ERR_BADREQ, "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	/* A NUL in a key we ignore is none of our business. */
	ck_assert_int_eq(parse("relativePath AA=="), ERR_OK);
}
END_TEST

START_TEST(test_too_many_pairs)
{
	char hdr[4096];
	size_t n = 0;
	int i;

	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(hdr + n, sizeof(hdr) - n, "%sk%d YQ==", i ? "," : "", i);
	ck_assert_int_eq(parse(hdr), ERR_BADREQ);
}
END_TEST

static Suite *
tusmeta_suite(void)
{
	Suite *s = suite_create("tusmeta");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tus_js_client_header);
	tcase_add_test(tc, test_entity_metadata_and_empty_values);
	tcase_add_test(tc, test_uppy_name_is_the_filename_fallback);
	tcase_add_test(tc, test_padding_lengths);
	tcase_add_test(tc, test_hostile_headers);
	tcase_add_test(tc, test_too_many_pairs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tusmeta_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
