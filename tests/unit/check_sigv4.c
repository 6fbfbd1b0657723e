/* check_sigv4.c - src/store/sigv4.c against AWS's Signature V4 test suite. */
#include "config.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sigv4.h"

#ifndef TEST_DATADIR
#error "TEST_DATADIR must name tests/unit/data"
#endif

/* The suite's credentials and time (tests/unit/data/sigv4/README). */
static const struct sigv4_cred suite_cred = {
	.access_key_id = "AKIDEXAMPLE",
	.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "service",
};
#define SUITE_DATE	"20150830T123600Z"

static const char *const vectors[] = {
	"get-vanilla",
	"get-vanilla-query-order-key",
	"get-vanilla-query-order-key-case",
	"get-vanilla-query-order-value",
	"get-vanilla-query-unreserved",
	"get-vanilla-utf8-query",
	"get-vanilla-empty-query-key",
	"get-unreserved",
	"get-header-value-trim",
	"post-header-key-sort",
	"post-vanilla-empty-query-value",
	"post-x-www-form-urlencoded",
	"post-x-www-form-urlencoded-parameters",
	"post-sts-header-before",
};

/* The whole file, NUL-terminated; NULL when it does not exist. */
static char *
slurp(const char *name, const char *ext)
{
	char path[512];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/sigv4/%s.%s", TEST_DATADIR, name, ext);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* A parsed .req: "METHOD URI HTTP/1.1", "Name:value" lines, blank, body. */
struct req {
	char			*text;
	struct sigv4_request	 r;
	struct sigv4_header	 h[8];
	char			 hash[65];
};

static void
parse_req(char *text, struct req *q)
{
	char *line, *next, *sp, *uri, *body = NULL, *colon, *qm;
	unsigned char d[32];
	unsigned int dl;
	int i;

	memset(q, 0, sizeof(*q));
	q->text = text;
	next = strchr(text, '\n');
	ck_assert_ptr_nonnull(next);
	*next++ = '\0';
	sp = strchr(text, ' ');
	*sp = '\0';
	q->r.method = text;
	uri = sp + 1;
	*strrchr(uri, ' ') = '\0';	/* " HTTP/1.1" */
	if ((qm = strchr(uri, '?')) != NULL) {
		*qm = '\0';
		q->r.query = qm + 1;
	}
	q->r.path = uri;
	for (line = next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (next != NULL && *next == '\n') {	/* blank line: the body follows */
			body = next + 1;
			next = NULL;
		}
		colon = strchr(line, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_uint_lt(q->r.nheaders, 8);
		q->h[q->r.nheaders].name = line;
		q->h[q->r.nheaders].value = colon + 1;
		q->r.nheaders++;
	}
	q->r.headers = q->h;
	ck_assert_int_eq(EVP_Digest(body != NULL ? body : "", body != NULL ? strlen(body) : 0, d,
	    &dl, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(q->hash + 2 * i, 3, "%02x", d[i]);
	q->r.payload_hash = q->hash;
}

START_TEST(test_suite_vector)
{
	const char *name = vectors[_i];
	char *reqtext = slurp(name, "req"), *want_creq = slurp(name, "creq");
	char *want_sts = slurp(name, "sts"), *want_authz = slurp(name, "authz");
	char *creq, *sts, *authz;
	struct req q;

	ck_assert_msg(reqtext != NULL && want_authz != NULL, "%s: .req or .authz missing", name);
	parse_req(reqtext, &q);
	creq = sigv4_canonical_request(&q.r, NULL);
	if (want_creq != NULL)
		ck_assert_msg(strcmp(creq, want_creq) == 0, "%s: canonical request\n%s\nwant\n%s",
		    name, creq, want_creq);
	sts = sigv4_string_to_sign(&suite_cred, SUITE_DATE, creq);
	if (want_sts != NULL)
		ck_assert_msg(strcmp(sts, want_sts) == 0, "%s: string to sign\n%s\nwant\n%s",
		    name, sts, want_sts);
	authz = sigv4_authorization(&suite_cred, SUITE_DATE, &q.r);
	ck_assert_msg(authz != NULL && strcmp(authz, want_authz) == 0,
	    "%s: Authorization\n%s\nwant\n%s", name, authz, want_authz);
	free(creq);
	free(sts);
	free(authz);
	free(reqtext);
	free(want_creq);
	free(want_sts);
	free(want_authz);
}
END_TEST

START_TEST(test_uri_encode)
{
	char *s;

	s = sigv4_uri_encode("a b/c~d_e.f-g+h=i&j%k\xc3\xa9", 0);
	ck_assert_str_eq(s, "a%20b%2Fc~d_e.f-g%2Bh%3Di%26j%25k%C3%A9");
	free(s);
	s = sigv4_uri_encode("customers/x y/1.pdf", 1);
	ck_assert_str_eq(s, "customers/x%20y/1.pdf");
	free(s);
	s = sigv4_uri_encode("", 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* What libcurl 7.88 needs handed to it: sorted and encoded once. */
START_TEST(test_canonical_query)
{
	char *s;

	s = sigv4_canonical_query("prefix=customers/a b/&list-type=2&max-keys=1000");
	ck_assert_str_eq(s, "list-type=2&max-keys=1000&prefix=customers%2Fa%20b%2F");
	free(s);
	/* Already encoded input is not encoded twice; "+" is a plus. */
	s = sigv4_canonical_query("continuation-token=1%2Fab%3D%3D&b=x+y&uploads");
	ck_assert_str_eq(s, "b=x%2By&continuation-token=1%2Fab%3D%3D&uploads=");
	free(s);
	/* A lone or broken % stays a literal percent. */
	s = sigv4_canonical_query("a=%zz&c=50%");
	ck_assert_str_eq(s, "a=%25zz&c=50%25");
	free(s);
	s = sigv4_canonical_query(NULL);
	ck_assert_str_eq(s, "");
	free(s);
	s = sigv4_canonical_query("&&");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/*
 * The example of AWS's S3 documentation ("Authenticating Requests: Using
 * Query Parameters"), with X-Amz-Content-Sha256 in the query as AWS's
 * presigner writes it; the signature is the one @aws-sdk/s3-request-presigner
 * gives for these inputs (tests/integration/test_sigv4_reference.py checks
 * many more against it).
 */
START_TEST(test_presign_shape)
{
	static const struct sigv4_cred c = {
		.access_key_id = "AKIAIOSFODNN7EXAMPLE",
		.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		.region = "us-east-1",
		.service = "s3",
	};
	struct sigv4_presign p = {
		.scheme = "https", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt",
		.now = 1369353600 /* 2013-05-24T00:00:00Z */, .expires_in = 86400,
	};
	char *url = sigv4_presign_url(&c, &p);
	const char *want_prefix = "https://examplebucket.s3.amazonaws.com/test.txt?"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
	    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
	    "&X-Amz-Signature=";

	ck_assert_ptr_nonnull(url);
	ck_assert_msg(strncmp(url, want_prefix, strlen(want_prefix)) == 0, "%s", url);
	ck_assert_str_eq(url + strlen(want_prefix),
	    "7c66ee2a8f3d418b10e74b41ba1e114ec349feb696f43a3dd136eed4fa1a2ac6");
	free(url);

	/* Overrides and a session token land in canonical order. */
	p.extra_query = "response-content-type=image%2Fpng&response-content-disposition=inline";
	p.session_token = "tok/en+=";
	url = sigv4_presign_url(&c, &p);
	ck_assert_ptr_nonnull(url);
	ck_assert_ptr_nonnull(strstr(url, "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host"
	    "&response-content-disposition=inline&response-content-type=image%2Fpng"
	    "&X-Amz-Signature="));
	free(url);

	p.expires_in = 0;
	ck_assert_ptr_null(sigv4_presign_url(&c, &p));
	p.expires_in = SIGV4_PRESIGN_MAX + 1;
	ck_assert_ptr_null(sigv4_presign_url(&c, &p));
}
END_TEST

START_TEST(test_amz_date)
{
	char d[17];

	sigv4_amz_date(1440938160, d);
	ck_assert_str_eq(d, SUITE_DATE);
}
END_TEST

static Suite *
sigv4_suite(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_suite_vector, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
	tcase_add_test(tc, test_uri_encode);
	tcase_add_test(tc, test_canonical_query);
	tcase_add_test(tc, test_presign_shape);
	tcase_add_test(tc, test_amz_date);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sigv4_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
