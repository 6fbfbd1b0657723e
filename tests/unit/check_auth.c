/* check_auth.c - Bearer parsing and JWT verification: forgeries, algorithms, claims, clocks. */
#include "config.h"

#include <check.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/auth.h"
#include "testkeys.h"

#define NOW		INT64_C(1700000000)
#define SECRET		"test-secret-of-more-than-32-bytes-0123456789"
#define CUSTOMER	"3f1c2a9e-5b7d-4c11-9a0e-2b6f8d4e7a10"
#define OTHER		"9d2e4b61-0c3a-4f5e-8b7d-1a2c3e4f5a6b"

static struct conf conf;
static const char *code, *errstr;
static struct identity id;

static void
setup(void)
{
	memset(&conf, 0, sizeof(conf));
	conf.jwt_algorithm = JWT_HS256;
	conf.jwt_secret = SECRET;
	conf.jwt_issuer = "";
	conf.jwt_audience = "";
	conf.jwt_leeway_ms = 30000;
	/* Most cases expire in 2027 (1800000000): a lifetime to match;
	 * test_lifetime checks the limit itself. */
	conf.jwt_max_lifetime_ms = INT64_C(200000000) * 1000;
	conf.claim_customer = "customerId";
	conf.claim_user = "userId";
	conf.claim_role = "role";
	code = errstr = NULL;
}

static char *
b64url(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	size_t n, i;

	ck_assert_ptr_nonnull(out);
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

/* header.payload signed with HMAC-SHA256 under key: any header, any bytes. */
static char *
hs256(const char *header, const char *payload, size_t payload_len, const char *key, size_t keylen)
{
	unsigned char mac[32];
	unsigned int maclen = sizeof(mac);
	char *h = b64url(header, strlen(header)), *p = b64url(payload, payload_len);
	char *input, *sig, *tok;

	ck_assert_int_ne(asprintf(&input, "%s.%s", h, p), -1);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)input,
	    strlen(input), mac, &maclen));
	sig = b64url(mac, maclen);
	ck_assert_int_ne(asprintf(&tok, "%s.%s", input, sig), -1);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static char *
hs256_claims(const char *payload)
{
	return hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, strlen(payload),
	    SECRET, strlen(SECRET));
}

/* hs256_claims() of a payload the caller no longer needs. */
static char *
hs256_owned(char *payload)
{
	char *tok = hs256_claims(payload);

	free(payload);
	return tok;
}

/* A payload with the default claims and the given exp. */
static char *
claims(const char *customer, const char *role, long exp)
{
	char *s;

	ck_assert_int_ne(asprintf(&s,
	    "{\"customerId\":\"%s\",\"userId\":\"user-1\",\"role\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
	    customer, role, (long)NOW, exp), -1);
	return s;
}

static enum err
verify(const char *tok)
{
	return auth_jwt_verify(&conf, tok, NOW, &id, &code, &errstr);
}

#define ck_refused(tok, want) do {						\
	ck_assert_int_eq(verify(tok), ERR_AUTH);				\
	ck_assert_str_eq(code, (want));						\
	ck_assert_ptr_nonnull(errstr);						\
	ck_assert_str_eq(id.customer, "");					\
	ck_assert_int_eq(id.role, ROLE_NONE);					\
} while (0)

START_TEST(test_bearer)
{
	const char *tok;
	char *big;

	ck_assert_int_eq(auth_bearer(NULL, &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MISSING_CREDENTIALS");
	ck_assert_int_eq(auth_bearer("", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MISSING_CREDENTIALS");
	ck_assert_int_eq(auth_bearer("Basic dXNlcjpwdw==", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MISSING_CREDENTIALS");
	ck_assert_int_eq(auth_bearer("Bearer", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MALFORMED_TOKEN");
	ck_assert_int_eq(auth_bearer("Bearerx", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MISSING_CREDENTIALS");
	ck_assert_int_eq(auth_bearer("Bearer ", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MALFORMED_TOKEN");
	ck_assert_int_eq(auth_bearer("Bearer a b", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MALFORMED_TOKEN");
	ck_assert_int_eq(auth_bearer("Bearer a\"b", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_int_eq(auth_bearer("Bearer a\xff", &tok, &code, &errstr), ERR_AUTH);
	ck_assert_int_eq(auth_bearer("bearer   abc.def-_~+/=", &tok, &code, &errstr), ERR_OK);
	ck_assert_str_eq(tok, "abc.def-_~+/=");
	ck_assert_int_eq(auth_bearer("BEARER cof_x", &tok, &code, &errstr), ERR_OK);
	ck_assert_str_eq(tok, "cof_x");

	big = malloc(AUTH_TOKEN_MAX + 16);
	strcpy(big, "Bearer ");
	memset(big + 7, 'a', AUTH_TOKEN_MAX + 1);
	big[7 + AUTH_TOKEN_MAX + 1] = '\0';
	ck_assert_int_eq(auth_bearer(big, &tok, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "MALFORMED_TOKEN");
	big[7 + AUTH_TOKEN_MAX] = '\0';
	ck_assert_int_eq(auth_bearer(big, &tok, &code, &errstr), ERR_OK);
	free(big);
}
END_TEST

START_TEST(test_valid_hs256)
{
	char *p = claims(CUSTOMER, "admin", NOW + 60), *tok = hs256_claims(p);

	ck_assert_int_eq(verify(tok), ERR_OK);
	ck_assert_str_eq(id.customer, CUSTOMER);
	ck_assert_str_eq(id.user, "user-1");
	ck_assert_int_eq(id.role, ROLE_ADMIN);
	free(p);
	free(tok);
}
END_TEST

START_TEST(test_issue_round_trip)
{
	struct identity in = { CUSTOMER, "ops@example.com", ROLE_MEMBER };
	char *tok;

	conf.jwt_issuer = "https://idp.example.com";
	conf.jwt_audience = "coffer";
	ck_assert_int_eq(auth_jwt_issue(&conf, &in, NOW, 600, (const unsigned char *)SECRET,
	    strlen(SECRET), &tok, &errstr), ERR_OK);
	ck_assert_int_eq(verify(tok), ERR_OK);
	ck_assert_str_eq(id.customer, CUSTOMER);
	ck_assert_str_eq(id.user, "ops@example.com");
	ck_assert_int_eq(id.role, ROLE_MEMBER);
	/* Valid until exp + leeway, not a second longer. */
	ck_assert_int_eq(auth_jwt_verify(&conf, tok, NOW + 600 + 29, &id, &code, &errstr), ERR_OK);
	ck_assert_int_eq(auth_jwt_verify(&conf, tok, NOW + 600 + 30, &id, &code, &errstr), ERR_AUTH);
	ck_assert_str_eq(code, "TOKEN_EXPIRED");
	free(tok);
}
END_TEST

START_TEST(test_tampered_signature)
{
	char *p = claims(CUSTOMER, "member", NOW + 60), *tok = hs256_claims(p);
	size_t n = strlen(tok);

	/* The last character carries only some bits: change an earlier one. */
	tok[n - 3] = tok[n - 3] == 'A' ? 'B' : 'A';
	ck_refused(tok, "INVALID_SIGNATURE");
	free(p);
	free(tok);
}
END_TEST

START_TEST(test_payload_swapped_keeps_signature)
{
	char *mine = hs256_owned(claims(CUSTOMER, "member", NOW + 60));
	char *other = claims(OTHER, "member", NOW + 60);
	char *enc = b64url(other, strlen(other));
	char *dot1 = strchr(mine, '.'), *dot2 = strchr(dot1 + 1, '.'), *forged;

	*dot1 = '\0';
	ck_assert_int_ne(asprintf(&forged, "%s.%s.%s", mine, enc, dot2 + 1), -1);
	ck_refused(forged, "INVALID_SIGNATURE");
	free(forged);
	free(enc);
	free(other);
	free(mine);
}
END_TEST

START_TEST(test_alg_none)
{
	char *p = claims(CUSTOMER, "platform", NOW + 60);
	const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	char *h = b64url(none, strlen(none)), *b = b64url(p, strlen(p));
	char *tok;

	/* The unsecured form: no signature at all. */
	ck_assert_int_ne(asprintf(&tok, "%s.%s.", h, b), -1);
	ck_refused(tok, "MALFORMED_TOKEN");
	free(tok);
	/* With something in the signature slot, the algorithm is refused. */
	ck_assert_int_ne(asprintf(&tok, "%s.%s.c2lnbmF0dXJl", h, b), -1);
	ck_refused(tok, "ALGORITHM_NOT_ALLOWED");
	free(tok);
	/* "None", "NONE": still not the configured algorithm. */
	free(h);
	h = b64url("{\"alg\":\"None\"}", 14);
	ck_assert_int_ne(asprintf(&tok, "%s.%s.c2ln", h, b), -1);
	ck_refused(tok, "ALGORITHM_NOT_ALLOWED");
	free(tok);
	free(h);
	free(b);
	free(p);
}
END_TEST

START_TEST(test_other_hmac_algorithm)
{
	char *p = claims(CUSTOMER, "member", NOW + 60);
	char *tok = hs256("{\"alg\":\"HS512\"}", p, strlen(p), SECRET, strlen(SECRET));

	ck_refused(tok, "ALGORITHM_NOT_ALLOWED");
	free(tok);
	free(p);
}
END_TEST

/*
 * The classic confusion: the verifier is configured for RS256, the attacker
 * knows the public key and signs an HS256 token with the PEM text as the
 * HMAC secret.  libjwt 1.10's jwt_decode() would verify that HMAC with the
 * key it is given, so the algorithm is pinned before and after decoding.
 */
START_TEST(test_rs256_public_key_as_hmac_secret)
{
	struct testkey k = testkey_new(TESTKEY_RSA2048);
	char *p = claims(CUSTOMER, "platform", NOW + 60), *tok;

	conf.jwt_algorithm = JWT_RS256;
	conf.jwt_secret = "";
	conf.jwt_public_key = k.public_pem;
	tok = hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, strlen(p), k.public_pem,
	    strlen(k.public_pem));
	ck_refused(tok, "ALGORITHM_NOT_ALLOWED");
	free(tok);
	/* A header naming alg twice: the last wins in json-c and in libjwt's
	 * jansson alike, and the check after decoding would catch a split. */
	tok = hs256("{\"alg\":\"RS256\",\"alg\":\"HS256\"}", p, strlen(p), k.public_pem,
	    strlen(k.public_pem));
	ck_assert_int_eq(verify(tok), ERR_AUTH);
	free(tok);
	tok = hs256("{\"alg\":\"HS256\",\"alg\":\"RS256\"}", p, strlen(p), k.public_pem,
	    strlen(k.public_pem));
	ck_assert_int_eq(verify(tok), ERR_AUTH);
	free(tok);
	free(p);
	testkey_free(&k);
}
END_TEST

static char *
sign_pem(jwt_alg_t alg, const char *private_pem, const char *customer)
{
	jwt_t *jwt;
	char *tok;

	ck_assert_int_eq(jwt_new(&jwt), 0);
	jwt_add_grant(jwt, "customerId", customer);
	jwt_add_grant(jwt, "userId", "u");
	jwt_add_grant_int(jwt, "exp", (long)NOW + 60);
	ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)private_pem,
	    (int)strlen(private_pem)), 0);
	tok = jwt_encode_str(jwt);
	ck_assert_ptr_nonnull(tok);
	jwt_free(jwt);
	return tok;
}

START_TEST(test_rs256_and_es256)
{
	struct testkey rsa = testkey_new(TESTKEY_RSA2048), ec = testkey_new(TESTKEY_P256);
	struct testkey rsa2 = testkey_new(TESTKEY_RSA2048);
	char *rs = sign_pem(JWT_ALG_RS256, rsa.private_pem, CUSTOMER);
	char *es = sign_pem(JWT_ALG_ES256, ec.private_pem, CUSTOMER);
	char *rs_other = sign_pem(JWT_ALG_RS256, rsa2.private_pem, CUSTOMER);

	conf.jwt_secret = "";
	conf.jwt_algorithm = JWT_RS256;
	conf.jwt_public_key = rsa.public_pem;
	ck_assert_int_eq(verify(rs), ERR_OK);
	ck_assert_int_eq(id.role, ROLE_MEMBER);		/* no role claim: member */
	ck_refused(es, "ALGORITHM_NOT_ALLOWED");
	ck_refused(rs_other, "INVALID_SIGNATURE");

	conf.jwt_algorithm = JWT_ES256;
	conf.jwt_public_key = ec.public_pem;
	ck_assert_int_eq(verify(es), ERR_OK);
	ck_assert_str_eq(id.customer, CUSTOMER);
	ck_refused(rs, "ALGORITHM_NOT_ALLOWED");
	/* And the issuing side signs what the verifying side accepts. */
	{
		struct identity in = { "", "operator", ROLE_PLATFORM };
		char *tok;

		ck_assert_int_eq(auth_jwt_issue(&conf, &in, NOW, 60,
		    (const unsigned char *)ec.private_pem, strlen(ec.private_pem), &tok,
		    &errstr), ERR_OK);
		ck_assert_int_eq(verify(tok), ERR_OK);
		ck_assert_int_eq(id.role, ROLE_PLATFORM);
		ck_assert_str_eq(id.customer, "");
		free(tok);
		/* An RSA private key cannot sign ES256. */
		ck_assert_int_ne(auth_jwt_issue(&conf, &in, NOW, 60,
		    (const unsigned char *)rsa.private_pem, strlen(rsa.private_pem), &tok,
		    &errstr), ERR_OK);
		ck_assert_ptr_null(tok);
	}
	free(rs);
	free(es);
	free(rs_other);
	testkey_free(&rsa);
	testkey_free(&rsa2);
	testkey_free(&ec);
}
END_TEST

START_TEST(test_clock)
{
	char *tok;

	tok = hs256_owned(claims(CUSTOMER, "member", NOW - 31));
	ck_refused(tok, "TOKEN_EXPIRED");
	free(tok);
	tok = hs256_owned(claims(CUSTOMER, "member", NOW - 10));	/* within leeway */
	ck_assert_int_eq(verify(tok), ERR_OK);
	conf.jwt_leeway_ms = 0;
	ck_refused(tok, "TOKEN_EXPIRED");
	free(tok);
	conf.jwt_leeway_ms = 30000;

	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,\"nbf\":1700000031}");
	ck_refused(tok, "TOKEN_NOT_YET_VALID");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,\"nbf\":1700000029}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,\"iat\":1700003600}");
	ck_refused(tok, "TOKEN_NOT_YET_VALID");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1700000100.75}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	free(tok);
	/* Extreme values do not overflow the comparisons (and an exp that
	 * far out is past any lifetime). */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":9223372036854775807,\"nbf\":-9223372036854775807}");
	ck_refused(tok, "TOKEN_LIFETIME_TOO_LONG");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":-9223372036854775807}");
	ck_refused(tok, "TOKEN_EXPIRED");
	free(tok);
	/* No exp, or an exp that is not a number. */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\"}");
	ck_refused(tok, "INVALID_CLAIMS");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":\"1800000000\"}");
	ck_refused(tok, "INVALID_CLAIMS");
	free(tok);
}
END_TEST

START_TEST(test_lifetime)
{
	char *tok;

	conf.jwt_max_lifetime_ms = INT64_C(3600) * 1000;
	/* exp - iat exactly the maximum: accepted; a second more: refused. */
	tok = hs256_owned(claims(CUSTOMER, "member", NOW + 3600));
	ck_assert_int_eq(verify(tok), ERR_OK);
	free(tok);
	tok = hs256_owned(claims(CUSTOMER, "member", NOW + 3601));
	ck_refused(tok, "TOKEN_LIFETIME_TOO_LONG");
	free(tok);
	/* Issued long ago, so exp - iat is too long even though it expires
	 * soon. */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"iat\":1600000000,\"exp\":1700000100}");
	ck_refused(tok, "TOKEN_LIFETIME_TOO_LONG");
	free(tok);
	/* Without iat: exp may lie at most the maximum (plus leeway) ahead. */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1700003630}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1700003631}");
	ck_refused(tok, "TOKEN_LIFETIME_TOO_LONG");
	free(tok);
	/* A forged iat close to exp does not help an exp years ahead. */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"iat\":1900000000,\"exp\":1900000001}");
	ck_assert_int_eq(verify(tok), ERR_AUTH);
	free(tok);
}
END_TEST

START_TEST(test_issuer_audience)
{
	char *tok;

	conf.jwt_issuer = "https://idp.example.com";
	conf.jwt_audience = "coffer";
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000}");
	ck_refused(tok, "INVALID_ISSUER");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,"
	    "\"iss\":\"https://evil.example.com\",\"aud\":\"coffer\"}");
	ck_refused(tok, "INVALID_ISSUER");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,"
	    "\"iss\":\"https://idp.example.com\",\"aud\":\"other\"}");
	ck_refused(tok, "INVALID_AUDIENCE");
	free(tok);
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,"
	    "\"iss\":\"https://idp.example.com\",\"aud\":[\"other\",\"coffer\"]}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	free(tok);
}
END_TEST

START_TEST(test_claims)
{
	static const struct {
		const char *payload;
		const char *code;	/* NULL: accepted */
	} cases[] = {
		{ "{\"customerId\":\"not-a-uuid\",\"userId\":\"u\",\"exp\":1800000000}", "INVALID_CUSTOMER_ID" },
		{ "{\"customerId\":\"{" CUSTOMER "}\",\"userId\":\"u\",\"exp\":1800000000}", "INVALID_CUSTOMER_ID" },
		{ "{\"customerId\":\"3f1c2a9e5b7d4c119a0e2b6f8d4e7a10\",\"userId\":\"u\",\"exp\":1800000000}", "INVALID_CUSTOMER_ID" },
		{ "{\"customerId\":42,\"userId\":\"u\",\"exp\":1800000000}", "INVALID_CUSTOMER_ID" },
		{ "{\"userId\":\"u\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"userId\":\"u\",\"role\":\"admin\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"a\\r\\nX-Coffer-Role: platform\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"caf\xc3\xa9\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":7,\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"role\":\"root\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"role\":\"Admin\",\"exp\":1800000000}", "INVALID_CLAIMS" },
		/* null is no role: refused, not read as the default member. */
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"role\":null,\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":null,\"exp\":1800000000}", "INVALID_CLAIMS" },
		{ "{\"customerId\":null,\"userId\":\"op\",\"role\":\"platform\",\"exp\":1800000000}", "INVALID_CUSTOMER_ID" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,\"nbf\":null}", "INVALID_CLAIMS" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000}", NULL },
		/* A name twice: json-c would keep the last (platform). */
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"role\":\"member\",\"role\":\"platform\",\"exp\":1800000000}", "MALFORMED_TOKEN" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"role\":\"member\",\"r\\u006fle\":\"platform\",\"exp\":1800000000}", "MALFORMED_TOKEN" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"customerId\":\"" OTHER "\",\"userId\":\"u\",\"exp\":1800000000}", "MALFORMED_TOKEN" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000,\"x\":NaN}", "MALFORMED_TOKEN" },
		{ "{\"userId\":\"op\",\"role\":\"platform\",\"exp\":1800000000}", NULL },
		{ "[1,2,3]", "MALFORMED_TOKEN" },
		{ "not json", "MALFORMED_TOKEN" },
		{ "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000} trailing", "MALFORMED_TOKEN" },
	};
	size_t i;
	char *tok;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = hs256_claims(cases[i].payload);
		if (cases[i].code == NULL) {
			ck_assert_msg(verify(tok) == ERR_OK, "case %zu refused: %s", i, code);
		} else {
			ck_assert_msg(verify(tok) == ERR_AUTH && strcmp(code, cases[i].code) == 0,
			    "case %zu: got %s, want %s", i, code ? code : "OK", cases[i].code);
			ck_assert_str_eq(id.customer, "");
		}
		free(tok);
	}
}
END_TEST

START_TEST(test_customer_canonical_and_claim_names)
{
	char *tok;

	tok = hs256_claims("{\"customerId\":\"3F1C2A9E-5B7D-4C11-9A0E-2B6F8D4E7A10\",\"userId\":\"u\",\"exp\":1800000000}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	ck_assert_str_eq(id.customer, CUSTOMER);
	free(tok);

	conf.claim_customer = "tenant";
	conf.claim_user = "sub";
	conf.claim_role = "https://coffer/role";
	tok = hs256_claims("{\"tenant\":\"" CUSTOMER "\",\"sub\":\"auth0|42\",\"https://coffer/role\":\"admin\",\"exp\":1800000000}");
	ck_assert_int_eq(verify(tok), ERR_OK);
	ck_assert_str_eq(id.user, "auth0|42");
	ck_assert_int_eq(id.role, ROLE_ADMIN);
	free(tok);
	/* The default names no longer count. */
	tok = hs256_claims("{\"customerId\":\"" CUSTOMER "\",\"userId\":\"u\",\"exp\":1800000000}");
	ck_refused(tok, "INVALID_CLAIMS");
	free(tok);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"", "abc", "a.b", "a.b.", ".b.c", "a..c", "a.b.c.d", "a b.c.d", "a.b.c=",
		"eyJhbGciOiJIUzI1NiJ9.e30.!!!", "e.e30.c2ln",
	};
	size_t i;
	char *p, *tok;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(verify(bad[i]), ERR_AUTH);
		ck_assert_msg(strcmp(code, "MALFORMED_TOKEN") == 0, "case %zu: %s", i, code);
	}
	/* A payload that is not UTF-8 (signed correctly). */
	p = "{\"customerId\":\"" CUSTOMER "\",\"userId\":\"\xff\xfe\",\"exp\":1800000000}";
	tok = hs256("{\"alg\":\"HS256\"}", p, strlen(p), SECRET, strlen(SECRET));
	ck_refused(tok, "MALFORMED_TOKEN");
	free(tok);
	/* A header that is not UTF-8, and one with an unknown critical extension. */
	tok = hs256("{\"alg\":\"HS256\",\"x\":\"\xc3\"}", "{}", 2, SECRET, strlen(SECRET));
	ck_refused(tok, "MALFORMED_TOKEN");
	free(tok);
	p = claims(CUSTOMER, "member", NOW + 60);
	tok = hs256("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", p, strlen(p), SECRET,
	    strlen(SECRET));
	ck_refused(tok, "MALFORMED_TOKEN");
	free(tok);
	free(p);
}
END_TEST

START_TEST(test_no_secret_refuses_all)
{
	char *tok = hs256("{\"alg\":\"HS256\"}", "{}", 2, "", 0);

	conf.jwt_secret = "";
	ck_refused(tok, "JWT_NOT_CONFIGURED");
	free(tok);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bearer);
	tcase_add_test(tc, test_valid_hs256);
	tcase_add_test(tc, test_issue_round_trip);
	tcase_add_test(tc, test_tampered_signature);
	tcase_add_test(tc, test_payload_swapped_keeps_signature);
	tcase_add_test(tc, test_alg_none);
	tcase_add_test(tc, test_other_hmac_algorithm);
	tcase_add_test(tc, test_rs256_public_key_as_hmac_secret);
	tcase_add_test(tc, test_rs256_and_es256);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_lifetime);
	tcase_add_test(tc, test_issuer_audience);
	tcase_add_test(tc, test_claims);
	tcase_add_test(tc, test_customer_canonical_and_claim_names);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_no_secret_refuses_all);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
