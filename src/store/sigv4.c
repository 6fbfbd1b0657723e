/* sigv4.c - AWS Signature Version 4 (the parts libcurl 7.88 does not do) on OpenSSL. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "base/xmalloc.h"
#include "store/sigv4.h"

/*
 * Hand-written on purpose: Debian has no C library for SigV4 (libs3 2.0
 * signs V2 only, libcurl 7.88 signs requests but cannot presign), and the
 * algorithm is a few string rules around OpenSSL's SHA-256 and HMAC.
 */

/* A growing string. */
struct sb {
	char	*p;
	size_t	 len, cap;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* The string built so far, owned by the caller ("" when nothing was added). */
static char *
sb_take(struct sb *b)
{
	if (b->p == NULL)
		return xstrdup("");
	return b->p;
}

static void
hex_of(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	if (EVP_Digest(s, n, d, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
		return -1;
	hex_of(d, 32, out);
	return 0;
}

static int
hmac256(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int ol = 0;

	return HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg),
	    out, &ol) != NULL && ol == 32 ? 0 : -1;
}

void
sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void
uri_encode_into(struct sb *b, const char *in, size_t n, int keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";
	char pct[3] = { '%', 0, 0 };
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
			sb_add(b, (const char *)&c, 1);
		} else {
			pct[1] = hx[c >> 4];
			pct[2] = hx[c & 15];
			sb_add(b, pct, 3);
		}
	}
}

char *
sigv4_uri_encode(const char *in, int keep_slash)
{
	struct sb b = { 0 };

	uri_encode_into(&b, in, strlen(in), keep_slash);
	return sb_take(&b);
}

/* in[0..n) percent-decoded ("%zz" kept as it is), then SigV4-encoded. */
static char *
reencode(const char *in, size_t n)
{
	char *dec = xmalloc(n + 1);
	struct sb b = { 0 };
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (in[i] == '%' && i + 2 < n &&
		    (hi = text_hexval((unsigned char)in[i + 1])) >= 0 &&
		    (lo = text_hexval((unsigned char)in[i + 2])) >= 0) {
			dec[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			dec[o++] = in[i];
		}
	}
	uri_encode_into(&b, dec, o, 0);
	free(dec);
	return sb_take(&b);
}

struct qparam {
	char	*name;
	char	*value;
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

char *
sigv4_canonical_query(const char *query)
{
	struct qparam *ps = NULL;
	struct sb b = { 0 };
	const char *p, *end, *eq;
	size_t n = 0, cap = 0, i;

	for (p = query; p != NULL && *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue;	/* "&&" */
		if (n == cap) {
			cap = cap * 2 + 8;
			ps = xrealloc(ps, cap * sizeof(*ps));
		}
		eq = memchr(p, '=', (size_t)(end - p));
		ps[n].name = reencode(p, (size_t)((eq != NULL ? eq : end) - p));
		ps[n].value = eq != NULL ? reencode(eq + 1, (size_t)(end - eq - 1)) : xstrdup("");
		n++;
	}
	if (n > 1)
		qsort(ps, n, sizeof(*ps), qparam_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_str(&b, "&");
		sb_str(&b, ps[i].name);
		sb_str(&b, "=");
		sb_str(&b, ps[i].value);
		free(ps[i].name);
		free(ps[i].value);
	}
	free(ps);
	return sb_take(&b);
}

struct chdr {
	char	*name;		/* lower case */
	char	*value;		/* trimmed, blanks folded */
	size_t	 order;	/* position in the request: keeps repeated names in order */
};

static int
chdr_cmp(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->order > y->order) - (x->order < y->order);
}

static char *
fold_value(const char *v)
{
	struct sb b = { 0 };
	int blank = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
			blank = 1;
			continue;
		}
		if (blank && b.len > 0)
			sb_str(&b, " ");
		blank = 0;
		sb_add(&b, v, 1);
	}
	return sb_take(&b);
}

char *
sigv4_canonical_request(const struct sigv4_request *r, char **signed_headers)
{
	struct chdr *hs = xcalloc(r->nheaders + 1, sizeof(*hs));
	struct sb b = { 0 }, sh = { 0 };
	char *cq;
	size_t i, k;

	for (i = 0; i < r->nheaders; i++) {
		hs[i].name = xstrdup(r->headers[i].name);
		for (k = 0; hs[i].name[k] != '\0'; k++)
			if (hs[i].name[k] >= 'A' && hs[i].name[k] <= 'Z')
				hs[i].name[k] = (char)(hs[i].name[k] - 'A' + 'a');
		hs[i].value = fold_value(r->headers[i].value);
		hs[i].order = i;
	}
	if (r->nheaders > 1)
		qsort(hs, r->nheaders, sizeof(*hs), chdr_cmp);

	sb_str(&b, r->method);
	sb_str(&b, "\n");
	sb_str(&b, r->path);
	sb_str(&b, "\n");
	cq = sigv4_canonical_query(r->query);
	sb_str(&b, cq);
	free(cq);
	sb_str(&b, "\n");
	for (i = 0; i < r->nheaders; i = k) {
		sb_str(&b, hs[i].name);
		sb_str(&b, ":");
		sb_str(&b, hs[i].value);
		/* A repeated name: one line, values in request order. */
		for (k = i + 1; k < r->nheaders && strcmp(hs[k].name, hs[i].name) == 0; k++) {
			sb_str(&b, ",");
			sb_str(&b, hs[k].value);
		}
		sb_str(&b, "\n");
		if (sh.len > 0)
			sb_str(&sh, ";");
		sb_str(&sh, hs[i].name);
	}
	sb_str(&b, "\n");
	sb_str(&b, sh.p != NULL ? sh.p : "");
	sb_str(&b, "\n");
	sb_str(&b, r->payload_hash);
	for (i = 0; i < r->nheaders; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
	if (signed_headers != NULL)
		*signed_headers = sb_take(&sh);
	else
		free(sh.p);
	return sb_take(&b);
}

/* "YYYYMMDD/region/service/aws4_request" for amz_date. */
static char *
scope_of(const struct sigv4_cred *c, const char *amz_date)
{
	return xasprintf("%.8s/%s/%s/aws4_request", amz_date, c->region, c->service);
}

char *
sigv4_string_to_sign(const struct sigv4_cred *c, const char *amz_date, const char *creq)
{
	char h[65], *scope, *sts;

	if (sha256_hex(creq, strlen(creq), h) == -1)
		return NULL;
	scope = scope_of(c, amz_date);
	sts = xasprintf(SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope, h);
	free(scope);
	return sts;
}

int
sigv4_signature(const struct sigv4_cred *c, const char *amz_date, const char *sts,
    char hex[65])
{
	unsigned char k[32], sig[32];
	char date[9], *first;
	int rc;

	snprintf(date, sizeof(date), "%.8s", amz_date);
	first = xasprintf("AWS4%s", c->secret);
	rc = hmac256(first, strlen(first), date, k);
	explicit_bzero(first, strlen(first));
	free(first);
	if (rc == -1 || hmac256(k, 32, c->region, k) == -1 ||
	    hmac256(k, 32, c->service, k) == -1 || hmac256(k, 32, "aws4_request", k) == -1 ||
	    hmac256(k, 32, sts, sig) == -1) {
		explicit_bzero(k, sizeof(k));
		return -1;
	}
	explicit_bzero(k, sizeof(k));
	hex_of(sig, 32, hex);
	return 0;
}

char *
sigv4_authorization(const struct sigv4_cred *c, const char *amz_date,
    const struct sigv4_request *r)
{
	char *sh = NULL, *creq, *sts, *scope, *out = NULL, sig[65];

	creq = sigv4_canonical_request(r, &sh);
	sts = sigv4_string_to_sign(c, amz_date, creq);
	if (sts != NULL && sigv4_signature(c, amz_date, sts, sig) == 0) {
		scope = scope_of(c, amz_date);
		out = xasprintf(SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		    c->access_key_id, scope, sh, sig);
		free(scope);
	}
	free(creq);
	free(sts);
	free(sh);
	return out;
}

char *
sigv4_presign_url(const struct sigv4_cred *c, const struct sigv4_presign *p)
{
	struct sigv4_header host = { "host", p->host };
	struct sigv4_request r = { .method = "GET", .path = p->path, .headers = &host,
	    .nheaders = 1, .payload_hash = SIGV4_UNSIGNED_PAYLOAD };
	char date[17], sig[65], *scope, *cred, *tok = NULL, *query, *cq, *creq, *sts, *url = NULL;

	if (p->expires_in < 1 || p->expires_in > SIGV4_PRESIGN_MAX)
		return NULL;
	sigv4_amz_date(p->now, date);
	scope = scope_of(c, date);
	cred = xasprintf("%s/%s", c->access_key_id, scope);
	free(scope);
	scope = sigv4_uri_encode(cred, 0);
	if (p->session_token != NULL && p->session_token[0] != '\0')
		tok = sigv4_uri_encode(p->session_token, 0);
	query = xasprintf("X-Amz-Algorithm=" SIGV4_ALGORITHM
	    "&X-Amz-Content-Sha256=" SIGV4_UNSIGNED_PAYLOAD
	    "&X-Amz-Credential=%s&X-Amz-Date=%s&X-Amz-Expires=%lld%s%s"
	    "&X-Amz-SignedHeaders=host%s%s",
	    scope, date, (long long)p->expires_in,
	    tok != NULL ? "&X-Amz-Security-Token=" : "", tok != NULL ? tok : "",
	    p->extra_query != NULL && p->extra_query[0] != '\0' ? "&" : "",
	    p->extra_query != NULL ? p->extra_query : "");
	free(cred);
	free(scope);
	free(tok);
	/* The URL carries the canonical query itself, so what S3 rebuilds from
	 * it is byte for byte what was signed. */
	cq = sigv4_canonical_query(query);
	free(query);
	r.query = cq;
	creq = sigv4_canonical_request(&r, NULL);
	sts = sigv4_string_to_sign(c, date, creq);
	if (sts != NULL && sigv4_signature(c, date, sts, sig) == 0)
		url = xasprintf("%s://%s%s?%s&X-Amz-Signature=%s", p->scheme, p->host, p->path, cq,
		    sig);
	free(creq);
	free(sts);
	free(cq);
	return url;
}
