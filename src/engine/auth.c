/* auth.c - Bearer credentials and JWTs (libjwt), checked against [auth] with no I/O. */
#include "config.h"

#include <jwt.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/auth.h"
#include "base/jsonstrict.h"
#include "base/log.h"
#include "base/xmalloc.h"

/* Indexed by enum jwt_algorithm (conf.h). */
static const jwt_alg_t auth_algs[] = { JWT_ALG_HS256, JWT_ALG_RS256, JWT_ALG_ES256 };

/* A decoded JWT header is a few dozen bytes; anything near this is abuse. */
#define AUTH_HEADER_MAX	1024

#define FAIL(c, m)	do { *code = (c); *errstr = (m); goto fail; } while (0)

int
auth_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Decode len base64url characters (no padding, already checked to be of
 * the alphabet) into a new NUL-terminated buffer; *outlen excludes the NUL.
 * Returns NULL for a length no encoder produces.  Caller frees.
 */
static unsigned char *
auth_b64url_decode(const char *s, size_t len, size_t *outlen)
{
	size_t pad = (4 - len % 4) % 4, i;
	unsigned char *out;
	char *tmp;
	int n;

	if (len == 0 || len % 4 == 1)
		return NULL;
	/* EVP_DecodeBlock speaks standard, padded base64.  len is capped by
	 * AUTH_TOKEN_MAX before we get here. */
	tmp = xmalloc(len + pad + 1);
	out = xmalloc((len + pad) / 4 * 3 + 1);
	for (i = 0; i < len; i++)
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(tmp + len, '=', pad);
	tmp[len + pad] = '\0';
	if ((n = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)(len + pad))) < 0)
		goto fail;
	free(tmp);
	*outlen = (size_t)n - pad;
	out[*outlen] = '\0';
	return out;
fail:
	free(tmp);
	free(out);
	return NULL;
}

/* Parse a base64url JSON object strictly (base/jsonstrict: RFC 8259, valid
 * UTF-8, no name twice, no trailing bytes).  Returns a new reference or
 * NULL. */
static struct json_object *
auth_b64url_json(const char *s, size_t len, size_t max)
{
	struct json_object *o = NULL;
	const char *errstr;
	unsigned char *raw;
	size_t rawlen;

	if ((raw = auth_b64url_decode(s, len, &rawlen)) == NULL)
		return NULL;
	/* Duplicate names matter here most: json-c keeps the last, so
	 * {"role":"member","role":"platform"} would read as platform. */
	if (rawlen <= max)
		(void)jsonstrict_parse((const char *)raw, rawlen, 16, &o, &errstr);
	free(raw);
	return o;
}

void
auth_log_config(const struct conf *conf)
{
	if (conf->jwt_algorithm == JWT_HS256 && conf->jwt_secret[0] == '\0') {
		log_warnx("[auth] jwt_secret (JWT_SECRET) is not set: every JWT is refused; "
		    "only API keys authenticate");
		return;
	}
	log_info("auth: JWTs signed with %s (%s), leeway %llds%s%s%s%s",
	    jwt_alg_str(auth_algs[conf->jwt_algorithm]),
	    conf->jwt_algorithm == JWT_HS256 ? "shared secret" : conf->jwt_public_key_file,
	    (long long)(conf->jwt_leeway_ms / 1000),
	    conf->jwt_issuer[0] ? ", issuer " : "", conf->jwt_issuer,
	    conf->jwt_audience[0] ? ", audience " : "", conf->jwt_audience);
}

enum err
auth_bearer(const char *header, const char **token, const char **code, const char **errstr)
{
	const char *t;
	size_t i;

	*token = NULL;
	if (header == NULL || header[0] == '\0')
		FAIL(AUTH_CODE_NO_CREDENTIALS,
		    "Authentication required: send Authorization: Bearer <token or API key>");
	/* nginx trims trailing blanks: "Bearer " arrives as "Bearer". */
	if (strcasecmp(header, "Bearer") == 0)
		FAIL("MALFORMED_TOKEN", "The bearer token is empty");
	/* Another scheme (Basic, ...) counts as no credentials (RFC 6750 3.1). */
	if (strncasecmp(header, "Bearer ", 7) != 0)
		FAIL(AUTH_CODE_NO_CREDENTIALS, "Only Bearer credentials are accepted");
	for (t = header + 7; *t == ' '; t++)
		;
	/* token68 (RFC 7235): the alphabet of JWTs and of our API keys. */
	for (i = 0; t[i] != '\0'; i++) {
		if (i == AUTH_TOKEN_MAX)
			FAIL("MALFORMED_TOKEN", "The bearer token is too long");
		if (!auth_b64url_char((unsigned char)t[i]) && t[i] != '.' &&
		    t[i] != '~' && t[i] != '+' && t[i] != '/' && t[i] != '=')
			FAIL("MALFORMED_TOKEN", "The bearer token is malformed");
	}
	if (i == 0)
		FAIL("MALFORMED_TOKEN", "The bearer token is empty");
	*token = t;
	return ERR_OK;
fail:
	return ERR_AUTH;
}

/* A NumericDate claim: absent (0, *present = 0), a number (0), else -1
 * (null included). */
static int
auth_time_claim(struct json_object *claims, const char *name, int64_t *out, int *present)
{
	struct json_object *v;
	double d;

	*present = json_object_object_get_ex(claims, name, &v);
	if (!*present)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		/* RFC 7519 allows fractions; whole seconds are enough here. */
		d = json_object_get_double(v);
		if (!isfinite(d) || d < 0 || d > 9.2e18)
			return -1;
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

/* The string claim name, or NULL when absent or not a string; *present
 * when the name is there at all (a null value is present, and no string:
 * {"role":null} is refused, never read as the default role). */
static const char *
auth_str_claim(struct json_object *claims, const char *name, int *present)
{
	struct json_object *v;

	*present = json_object_object_get_ex(claims, name, &v);
	return *present && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static int
auth_audience_ok(struct json_object *claims, const char *want)
{
	struct json_object *aud, *v;
	size_t i, n;

	if (!json_object_object_get_ex(claims, "aud", &aud) || aud == NULL)
		return 0;
	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), want) == 0;
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(aud, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), want) == 0)
			return 1;
	}
	return 0;
}

/* Check the verified claims and fill *id. */
static enum err
auth_claims(const struct conf *conf, struct json_object *claims, int64_t now,
    struct identity *id, const char **code, const char **errstr)
{
	int64_t leeway = conf->jwt_leeway_ms / 1000, exp = 0, nbf = 0, iat = 0;
	int64_t life = conf->jwt_max_lifetime_ms / 1000;
	int has_exp, has_nbf, has_iat, present;
	const char *s;

	if (auth_time_claim(claims, "exp", &exp, &has_exp) == -1 ||
	    auth_time_claim(claims, "nbf", &nbf, &has_nbf) == -1 ||
	    auth_time_claim(claims, "iat", &iat, &has_iat) == -1)
		FAIL("INVALID_CLAIMS", "exp, nbf and iat must be numbers (seconds since the epoch)");
	/* A JWT that never expires is a standing credential: API keys are
	 * the revocable form of that. */
	if (!has_exp)
		FAIL("INVALID_CLAIMS", "The token has no exp claim");
	/* Written so that no claim value can overflow the arithmetic. */
	if (now - leeway >= exp)
		FAIL("TOKEN_EXPIRED", "The token has expired");
	if ((has_nbf && now + leeway < nbf) || (has_iat && now + leeway < iat))
		FAIL("TOKEN_NOT_YET_VALID", "The token is not valid yet");
	/* [auth] jwt_max_lifetime: a token minted to live for years is a
	 * standing credential.  exp > now - leeway here, so exp - life cannot
	 * overflow. */
	if ((has_iat && exp - life > iat) || exp - life > now + leeway)
		FAIL("TOKEN_LIFETIME_TOO_LONG",
		    "The token lives longer than this service accepts (jwt_max_lifetime)");
	if (conf->jwt_issuer[0] != '\0' &&
	    ((s = auth_str_claim(claims, "iss", &present)) == NULL ||
	    strcmp(s, conf->jwt_issuer) != 0))
		FAIL("INVALID_ISSUER", "The token was not issued by the expected issuer");
	if (conf->jwt_audience[0] != '\0' && !auth_audience_ok(claims, conf->jwt_audience))
		FAIL("INVALID_AUDIENCE", "The token is not meant for this service");

	memset(id, 0, sizeof(*id));
	s = auth_str_claim(claims, conf->claim_role, &present);
	id->role = present ? identity_role_parse(s) : ROLE_MEMBER;
	if (id->role == ROLE_NONE)
		FAIL("INVALID_CLAIMS", "The role claim must be member, admin or platform");
	s = auth_str_claim(claims, conf->claim_user, &present);
	if (identity_user_valid(s) == -1)
		FAIL("INVALID_CLAIMS",
		    "The user claim must be 1 to 128 visible ASCII characters");
	strcpy(id->user, s);
	s = auth_str_claim(claims, conf->claim_customer, &present);
	if (present && identity_uuid_canon(s, id->customer) == -1)
		FAIL("INVALID_CUSTOMER_ID", "The customer claim is not a UUID");
	/* Only the operator acts for no customer, or names one per request. */
	if (!present && id->role != ROLE_PLATFORM)
		FAIL("INVALID_CLAIMS", "The token names no customer");
	return ERR_OK;
fail:
	memset(id, 0, sizeof(*id));
	return ERR_AUTH;
}

enum err
auth_jwt_verify(const struct conf *conf, const char *token, int64_t now,
    struct identity *id, const char **code, const char **errstr)
{
	jwt_alg_t want = auth_algs[conf->jwt_algorithm];
	struct json_object *header = NULL, *claims = NULL, *v;
	const char *dot1, *dot2, *key;
	jwt_t *jwt = NULL;
	enum err rc = ERR_AUTH;
	size_t len, i;

	memset(id, 0, sizeof(*id));
	key = conf->jwt_algorithm == JWT_HS256 ? conf->jwt_secret : conf->jwt_public_key;
	if (key == NULL || key[0] == '\0')
		FAIL("JWT_NOT_CONFIGURED", "JWTs are not accepted here: no key is configured");
	len = strlen(token);
	if (len > AUTH_TOKEN_MAX)
		FAIL("MALFORMED_TOKEN", "The token is too long");
	/* header.payload.signature, each non-empty base64url: an empty
	 * signature is what alg "none" looks like. */
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || dot1 == token || dot2 == dot1 + 1 ||
	    dot2[1] == '\0')
		FAIL("MALFORMED_TOKEN", "The token is not a signed JWT");
	for (i = 0; i < len; i++)
		if (!auth_b64url_char((unsigned char)token[i]) &&
		    token + i != dot1 && token + i != dot2)
			FAIL("MALFORMED_TOKEN", "The token is not a signed JWT");

	/*
	 * Our own look at the header first: the algorithm is fixed by
	 * configuration, never chosen by the token, so the key is never used
	 * with another algorithm (an RS256 public key as an HS256 secret is
	 * the classic confusion attack).
	 */
	if ((header = auth_b64url_json(token, (size_t)(dot1 - token), AUTH_HEADER_MAX)) == NULL)
		FAIL("MALFORMED_TOKEN", "The token header is not JSON");
	if (!json_object_object_get_ex(header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), jwt_alg_str(want)) != 0)
		FAIL("ALGORITHM_NOT_ALLOWED", "The token is not signed with the accepted algorithm");
	/* RFC 7515 4.1.11: extensions we do not understand must be refused. */
	if (json_object_object_get_ex(header, "crit", NULL))
		FAIL("MALFORMED_TOKEN", "Critical header extensions are not supported");
	if ((claims = auth_b64url_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), AUTH_TOKEN_MAX)) == NULL)
		FAIL("MALFORMED_TOKEN", "The token payload is not a JSON object of UTF-8 text");

	/* With a key, libjwt verifies the signature; it would still accept
	 * whatever alg the header names, hence the check before and after. */
	if (jwt_decode(&jwt, token, (const unsigned char *)key, (int)strlen(key)) != 0 ||
	    jwt == NULL)
		FAIL("INVALID_SIGNATURE", "The token signature is invalid");
	if (jwt_get_alg(jwt) != want)
		FAIL("ALGORITHM_NOT_ALLOWED", "The token is not signed with the accepted algorithm");
	/* The claims parsed above are the bytes the signature covers. */
	rc = auth_claims(conf, claims, now, id, code, errstr);
fail:
	jwt_free(jwt);
	json_object_put(header);
	json_object_put(claims);
	return rc;
}

enum err
auth_jwt_issue(const struct conf *conf, const struct identity *id, int64_t now,
    int64_t ttl, const unsigned char *key, size_t keylen, char **out, const char **errstr)
{
	jwt_t *jwt = NULL;
	enum err rc = ERR_INTERNAL;
	int e = 0;

	*out = NULL;
	if (jwt_new(&jwt) != 0) {
		*errstr = "out of memory";
		return ERR_INTERNAL;
	}
	if (id->customer[0] != '\0')
		e |= jwt_add_grant(jwt, conf->claim_customer, id->customer);
	e |= jwt_add_grant(jwt, conf->claim_user, id->user);
	e |= jwt_add_grant(jwt, conf->claim_role, identity_role_name(id->role));
	e |= jwt_add_grant_int(jwt, "iat", (long)now);
	e |= jwt_add_grant_int(jwt, "exp", (long)(now + ttl));
	if (conf->jwt_issuer[0] != '\0')
		e |= jwt_add_grant(jwt, "iss", conf->jwt_issuer);
	if (conf->jwt_audience[0] != '\0')
		e |= jwt_add_grant(jwt, "aud", conf->jwt_audience);
	if (e != 0) {
		*errstr = "cannot build the claims (a claim name used twice?)";
		goto done;
	}
	if (jwt_set_alg(jwt, auth_algs[conf->jwt_algorithm], key, (int)keylen) != 0) {
		*errstr = "the signing key does not suit [auth] jwt_algorithm";
		rc = ERR_CONFIG;
		goto done;
	}
	if ((*out = jwt_encode_str(jwt)) == NULL) {
		*errstr = "signing failed (is the private key of the right type?)";
		rc = ERR_CONFIG;
		goto done;
	}
	rc = ERR_OK;
done:
	jwt_free(jwt);
	return rc;
}
