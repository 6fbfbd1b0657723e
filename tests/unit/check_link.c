/* check_link.c - download links: RFC 6266 names, HMAC-SHA256 signing and verification. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/link.h"

#define KEY	"0123456789abcdef0123456789abcdef"
#define CUST	"3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a10"
#define FILE1	"0b7e3a52-9c1d-4f7e-8a6b-1d2c3e4f5a6b"
#define OTHER	"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

static const char *
cd(const char *name)
{
	static char buf[LINK_DISPOSITION_MAX];

	ck_assert_int_eq(link_disposition(name, buf, sizeof(buf)), 0);
	return buf;
}

START_TEST(test_disposition)
{
	char name[256], small[40];
	const unsigned char *p;
	const char *v;

	ck_assert_str_eq(cd("lease.pdf"), "attachment; filename=\"lease.pdf\"; filename*=UTF-8''lease.pdf");
	ck_assert_str_eq(cd("r\xc3\xa9sum\xc3\xa9 \"final\".pdf"),
	    "attachment; filename=\"r_sum_ _final_.pdf\"; "
	    "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf");
	/* One '_' per character, whatever its UTF-8 length (a 4-byte emoji). */
	ck_assert_str_eq(cd("\xf0\x9f\x93\x84.pdf"),
	    "attachment; filename=\"_.pdf\"; filename*=UTF-8''%F0%9F%93%84.pdf");
	/* Header and path tricks stay inside one printable value. */
	ck_assert_str_eq(cd("a\r\nX-Evil: 1\\..%2f/b;c.pdf"),
	    "attachment; filename=\"a__X-Evil: 1_.._2f_b;c.pdf\"; "
	    "filename*=UTF-8''a%0D%0AX-Evil%3A%201%5C..%252f%2Fb%3Bc.pdf");
	ck_assert_str_eq(cd(""), "attachment; filename=\"download\"; filename*=UTF-8''download");
	ck_assert_str_eq(cd(NULL), "attachment; filename=\"download\"; filename*=UTF-8''download");
	/* The longest stored name (255 bytes, all encoded) fits. */
	memset(name, 0xe2, 255);
	name[255] = '\0';
	v = cd(name);
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		ck_assert(*p >= 0x20 && *p <= 0x7e);
	/* Too small a buffer is an error, never a cut value. */
	ck_assert_int_eq(link_disposition("lease.pdf", small, sizeof(small)), -1);
}
END_TEST

START_TEST(test_sign_vector)
{
	char sig[LINK_SIG_HEX + 1];

	/* python3: hmac.new(KEY, b"coffer-link-v1\n" CUST "\n" FILE1 "\n1700000000", sha256) */
	link_sign(KEY, CUST, FILE1, 1700000000, sig);
	ck_assert_str_eq(sig, "cb76f233d889224cca7621c79d15cb0ae67b037c38f7434fde285e5f9b43e677");
}
END_TEST

START_TEST(test_verify)
{
	char sig[LINK_SIG_HEX + 1], bad[LINK_SIG_HEX + 1], up[LINK_SIG_HEX + 1];
	int64_t exp = 0;
	size_t i;

	link_sign(KEY, CUST, FILE1, 2000, sig);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", sig, 1999, &exp), LINK_OK);
	ck_assert_int_eq(exp, 2000);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", sig, 2000, NULL), LINK_OK);
	/* Expired only when genuine. */
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", sig, 2001, NULL), LINK_EXPIRED);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2001", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "9999", sig, 5000, NULL), LINK_INVALID);
	/* Another customer, another file, another key. */
	ck_assert_int_eq(link_verify(KEY, OTHER, FILE1, "2000", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, OTHER, "2000", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY "x", CUST, FILE1, "2000", sig, 1999, NULL), LINK_INVALID);
	/* Any flipped digit. */
	for (i = 0; i < LINK_SIG_HEX; i += 7) {
		memcpy(bad, sig, sizeof(bad));
		bad[i] = bad[i] == '0' ? '1' : '0';
		ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", bad, 1999, NULL), LINK_INVALID);
	}
	/* Malformed parts: never our format. */
	for (i = 0; i <= LINK_SIG_HEX; i++)
		up[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", up, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "02000", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "+2000", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000 ", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "99999999999999999999", sig, 1, NULL),
	    LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, NULL, sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", NULL, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, FILE1, "2000", "abc", 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, "3F1C2A9E-5B7D-4C11-9A0E-2B6F8D4E7A10", FILE1, "2000",
	    sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(KEY, CUST, "../../etc", "2000", sig, 1999, NULL),
	    LINK_INVALID);
	ck_assert_int_eq(link_verify("", CUST, FILE1, "2000", sig, 1999, NULL), LINK_INVALID);
	ck_assert_int_eq(link_verify(NULL, CUST, FILE1, "2000", sig, 1999, NULL), LINK_INVALID);
}
END_TEST

START_TEST(test_iso8601)
{
	char buf[32];

	link_iso8601(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	link_iso8601(1700000000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20Z");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_disposition);
	tcase_add_test(tc, test_sign_vector);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_iso8601);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
