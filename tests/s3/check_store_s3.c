/* check_store_s3.c - the S3 backends against a live S3 peer (not in TESTS).
 *
 * Needs S3_ENDPOINT (host:port, plain HTTP), S3_BUCKET_NAME,
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. from the stack.env of
 * `STORAGE_TYPE=s3 scripts/stack up DIR`; S3_STYLE=virtual switches the URI
 * style; S3_SIGNATURE=v2 tests the libs3 backend, v4 (the default) the
 * libcurl one (store_s3v4.c), which the "v4" case tests further.  Without them every test fails: a missing peer is never a pass.
 * The "outage" case also needs S3_PEER_STOP_CMD and S3_PEER_START_CMD;
 * CK_RUN_CASE=live runs the rest alone.
 * Objects are read back over plain HTTP with presigned URLs.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/digest.h"
#include "store/store.h"
#include "store/sigv4.h"
#include "store/store_s3.h"
#include "store/store_s3v4.h"

static const struct store_backend *B;
static int v4;
static struct conf conf;
static void *h;
static char prefix[128];

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0',
	    "%s is not set: run against a live S3 peer (STORAGE_TYPE=s3 scripts/stack up DIR; "
	    "set -a; . DIR/stack.env)", name);
	return v;
}

/* A copy of v that lives as long as the program, off the heap: the conf
 * structs here are never freed, and LeakSanitizer (ASan build) would count
 * every strdup. */
static char *
kept(const char *v)
{
	static char arena[65536];
	static size_t used;
	size_t n = strlen(v) + 1;

	ck_assert_uint_le(used + n, sizeof(arena));
	memcpy(arena + used, v, n);
	used += n;
	return arena + used - n;
}

static void
conf_from_env(struct conf *c)
{
	const char *style = getenv("S3_STYLE");

	memset(c, 0, sizeof(*c));
	c->storage_type = STORAGE_S3;
	c->s3_endpoint = kept(env("S3_ENDPOINT"));
	c->s3_bucket = kept(env("S3_BUCKET_NAME"));
	c->s3_access_key_id = kept(env("AWS_ACCESS_KEY_ID"));
	c->s3_secret_access_key = kept(env("AWS_SECRET_ACCESS_KEY"));
	c->s3_region = kept("us-east-1");
	c->s3_session_token = kept("");
	c->s3_ca_file = kept("");
	c->s3_signature = v4 ? S3_SIG_V4 : S3_SIG_V2;
	c->s3_multipart_threshold = INT64_C(64) << 20;
	c->s3_part_size = INT64_C(16) << 20;
	c->s3_virtual_host = style != NULL && strcmp(style, "virtual") == 0;
	c->s3_tls = 0;
	c->s3_timeout_ms = 10000;
}

static void
setup(void)
{
	const char *err = NULL;

	conf_from_env(&conf);
	h = B->open(&conf, &err);
	ck_assert_msg(h != NULL, "open: %s", err ? err : "?");
	snprintf(prefix, sizeof(prefix), "check-s3/%ld-%ld/", (long)getpid(), (long)time(NULL));
}

static void
teardown(void)
{
	B->close(h);
}

/* A body file holding "HEADER" + payload + "TRAILER" (the range is 6..6+len). */
static int
body_file(const char *payload, size_t len)
{
	char path[] = "/tmp/check_s3_body.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "HEADER", 6), 6);
	ck_assert_int_eq(write(fd, payload, len), (ssize_t)len);
	ck_assert_int_eq(write(fd, "TRAILER", 7), 7);
	return fd;
}

/* ---- a minimal HTTP/1.0 client for presigned URLs ---------------------- */

struct http_resp {
	int		 status;
	char		 head[16384];
	char		 body[65536];	/* the first 64 KiB */
	size_t		 total;		/* bytes of body received */
	char		 md5hex[33];	/* of the whole body */
};

static void
http_get(const char *url, struct http_resp *r)
{
	char host[256], port[16], req[8192], buf[65536];
	const char *hp, *path, *colon;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int diglen, i;
	size_t headlen = 0;
	int fd, inbody = 0;
	ssize_t n;
	char *end;

	memset(r, 0, sizeof(*r));
	ck_assert_msg(strncmp(url, "http://", 7) == 0, "not an http URL: %s", url);
	hp = url + 7;
	path = strchr(hp, '/');
	ck_assert_ptr_nonnull(path);
	colon = memchr(hp, ':', (size_t)(path - hp));
	if (colon != NULL) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
		snprintf(port, sizeof(port), "%.*s", (int)(path - colon - 1), colon + 1);
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)(path - hp), hp);
		snprintf(port, sizeof(port), "80");
	}
	ck_assert_int_eq(getaddrinfo(host, port, &hints, &ai), 0);
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, ai->ai_addr, ai->ai_addrlen), 0);
	freeaddrinfo(ai);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %.*s\r\n\r\n", path,
	    (int)(path - hp), hp);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	EVP_DigestInit_ex(md, EVP_md5(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;
		size_t left = (size_t)n;

		if (!inbody) {
			size_t take = left < sizeof(r->head) - 1 - headlen ? left :
			    sizeof(r->head) - 1 - headlen;

			memcpy(r->head + headlen, p, take);
			headlen += take;
			r->head[headlen] = '\0';
			if ((end = strstr(r->head, "\r\n\r\n")) == NULL)
				continue;
			inbody = 1;
			/* What follows the blank line in this read is body. */
			p += (size_t)(end + 4 - r->head) - (headlen - take);
			left = (size_t)(buf + n - p);
			end[2] = '\0';
		}
		if (r->total < sizeof(r->body))
			memcpy(r->body + r->total, p, left < sizeof(r->body) - r->total ? left :
			    sizeof(r->body) - r->total);
		EVP_DigestUpdate(md, p, left);
		r->total += left;
	}
	close(fd);
	EVP_DigestFinal_ex(md, dig, &diglen);
	EVP_MD_CTX_free(md);
	for (i = 0; i < diglen; i++)
		sprintf(r->md5hex + 2 * i, "%02x", dig[i]);
	ck_assert_msg(sscanf(r->head, "HTTP/1.%*d %d", &r->status) == 1, "bad response: %s", r->head);
}

/* The value of header name in r (without CRLF), or NULL. */
static const char *
http_header(const struct http_resp *r, const char *name)
{
	static char val[4096];
	const char *p = r->head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(val, sizeof(val), "%.*s", e ? (int)(e - v) : (int)strlen(v), v);
			return val;
		}
	}
	return NULL;
}

static void
md5_hex_of_base64(const char *b64, char *hex)
{
	unsigned char raw[32];
	int i;

	ck_assert_int_eq(EVP_DecodeBlock(raw, (const unsigned char *)b64, 24), 18);
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", raw[i]);
}

static void
presign2(const char *key, int64_t expires, const char *cd, const char *ct, char *url,
    size_t len)
{
	struct store_presign o = { .content_type = ct, .content_disposition = cd };
	const char *err = NULL;

	ck_assert_ptr_nonnull(B->presign);
	ck_assert_msg(B->presign(h, key, expires, cd || ct ? &o : NULL, url, len, &err) == ERR_OK,
	    "presign: %s", err);
}

static void
presign(const char *key, int64_t expires, const char *cd, char *url, size_t len)
{
	presign2(key, expires, cd, NULL, url, len);
}

/* The list-page knobs of whichever backend B is. */
static void
set_list_page(int n)
{
	if (v4)
		store_s3v4_set_list_page(h, n);
	else
		store_s3_set_list_page(h, n);
}

static int
list_pages(void)
{
	return v4 ? store_s3v4_list_pages(h) : store_s3_list_pages(h);
}

/* ---- tests ------------------------------------------------------------- */

START_TEST(test_put_range_get_head_delete)
{
	static const char payload[] = "%PDF-1.4 not really a pdf, but bytes in a range";
	const char *err = NULL, *name = "rapport \"final\"\n\xe2\x82\xac.pdf";
	char key[256], url[4096], md5hex[33], etag[40];
	struct store_put p = { 0 };
	struct store_stat st;
	struct digest d;
	struct http_resp *r = malloc(sizeof(*r));
	int fd = body_file(payload, sizeof(payload) - 1);

	snprintf(key, sizeof(key), "%sdocuments/1.pdf", prefix);
	ck_assert_int_eq(digest_fd(fd, 6, sizeof(payload) - 1, 1, &d), ERR_OK);
	p.fd = fd;
	p.offset = 6;
	p.length = sizeof(payload) - 1;
	p.content_type = "application/pdf";
	p.md5_base64 = d.md5_base64;
	p.sha256_hex = d.sha256_hex;
	p.original_name = name;
	ck_assert_msg(B->put(h, key, &p, &err) == ERR_OK, "put: %s", err);

	presign(key, time(NULL) + 300, NULL, url, sizeof(url));
	http_get(url, r);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->total, sizeof(payload) - 1);
	ck_assert_int_eq(memcmp(r->body, payload, sizeof(payload) - 1), 0);
	ck_assert_ptr_nonnull(http_header(r, "Content-Type"));
	ck_assert_str_eq(http_header(r, "Content-Type"), "application/pdf");
	md5_hex_of_base64(d.md5_base64, md5hex);
	ck_assert_ptr_nonnull(http_header(r, "ETag"));
	snprintf(etag, sizeof(etag), "\"%s\"", md5hex);
	ck_assert_str_eq(http_header(r, "ETag"), etag);
	ck_assert_ptr_nonnull(http_header(r, "x-amz-meta-original-name"));
	ck_assert_str_eq(http_header(r, "x-amz-meta-original-name"),
	    "rapport%20%22final%22%0A%E2%82%AC.pdf");
	/* No identity in the object: the link's holder sees every header. */
	ck_assert_ptr_null(http_header(r, "x-amz-meta-customer-id"));
	ck_assert_ptr_null(http_header(r, "x-amz-meta-uploaded-by"));
	ck_assert_str_eq(http_header(r, "Cache-Control"), "private");

	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_OK);
	ck_assert_int_eq(st.size, sizeof(payload) - 1);
	ck_assert_int_le(llabs((long long)(st.mtime - time(NULL))), 300);

	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_NOTFOUND);
	/* Idempotent. */
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	presign(key, time(NULL) + 300, NULL, url, sizeof(url));
	http_get(url, r);
	ck_assert_int_eq(r->status, 404);
	close(fd);
	free(r);
}
END_TEST

static void
put_small(const char *key, const char *payload)
{
	struct store_put p = { 0 };
	struct digest d;
	const char *err = NULL;
	int fd = body_file(payload, strlen(payload));

	ck_assert_int_eq(digest_fd(fd, 6, (off_t)strlen(payload), 1, &d), ERR_OK);
	p.fd = fd;
	p.offset = 6;
	p.length = (off_t)strlen(payload);
	p.content_type = "text/plain";
	p.md5_base64 = d.md5_base64;
	ck_assert_msg(B->put(h, key, &p, &err) == ERR_OK, "put %s: %s", key, err);
	close(fd);
}

START_TEST(test_presign_expiry)
{
	char key[256], url[4096], want[64], *q;
	struct http_resp *r = malloc(sizeof(*r));
	int64_t exp = (int64_t)time(NULL) + 120;

	snprintf(key, sizeof(key), "%sexpiry.txt", prefix);
	put_small(key, "expiring");
	/* libs3 2.0 takes expires as absolute epoch seconds and sends it as is;
	 * V4 says how long from X-Amz-Date (at most a second late here). */
	presign(key, exp, NULL, url, sizeof(url));
	if (v4)
		ck_assert_msg(strstr(url, "&X-Amz-Expires=120&") != NULL ||
		    strstr(url, "&X-Amz-Expires=119&") != NULL, "%s", url);
	else {
		snprintf(want, sizeof(want), "Expires=%lld&", (long long)exp);
		ck_assert_msg(strstr(url, want) != NULL, "%s not in %s", want, url);
	}
	http_get(url, r);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body, "expiring");
	/* Already expired: refused. */
	presign(key, (int64_t)time(NULL) - 60, NULL, url, sizeof(url));
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	/* Tampered expiry: refused. */
	presign(key, exp, NULL, url, sizeof(url));
	if (v4)
		memcpy(strstr(url, "X-Amz-Expires=") + 14, "9", 1);
	else {
		snprintf(want, sizeof(want), "Expires=%lld&", (long long)exp);
		memcpy(strstr(url, want) + 8, "9", 1);
	}
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	/* A tampered signature, and one made with another secret: refused. */
	presign(key, exp, NULL, url, sizeof(url));
	q = strstr(url, v4 ? "X-Amz-Signature=" : "Signature=");
	ck_assert_ptr_nonnull(q);
	q += v4 ? 16 : 10;
	*q = *q == 'a' ? 'b' : 'a';
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	ck_assert_int_eq(B->del(h, key, &(const char *){ NULL }), ERR_OK);
	free(r);
}
END_TEST

START_TEST(test_presign_content_disposition)
{
	const char *cd = "attachment; filename=\"r_sum_ \\\"1\\\".pdf\"; "
	    "filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf";
	char key[256], url[8192], *q;
	struct http_resp *r = malloc(sizeof(*r));
	const char *err = NULL;

	snprintf(key, sizeof(key), "%sdisposition.pdf", prefix);
	put_small(key, "disposition");
	presign(key, time(NULL) + 300, cd, url, sizeof(url));
	http_get(url, r);
	ck_assert_msg(r->status == 200, "status %d: %s", r->status, r->body);
	ck_assert_str_eq(r->body, "disposition");
	ck_assert_ptr_nonnull(http_header(r, "Content-Disposition"));
	ck_assert_str_eq(http_header(r, "Content-Disposition"), cd);
	/* The override is signed: changing it is refused. */
	q = strstr(url, "response-content-disposition=attachment");
	ck_assert_ptr_nonnull(q);
	memcpy(q + strlen("response-content-disposition="), "inline....", 10);
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	/* Header injection is refused before signing. */
	ck_assert_int_eq(B->presign(h, key, time(NULL) + 60,
	    &(struct store_presign){ .content_disposition = "attachment\r\nX-Evil: 1" }, url,
	    sizeof(url), &err), ERR_INTERNAL);
	ck_assert_int_eq(B->presign(h, key, time(NULL) + 60,
	    &(struct store_presign){ .content_type = "text/html\r\nX-Evil: 1" }, url,
	    sizeof(url), &err), ERR_INTERNAL);
	/* Too small a buffer is an error, never a truncated URL. */
	ck_assert_int_eq(B->presign(h, key, time(NULL) + 60, NULL, url, 16, &err), ERR_INTERNAL);
	ck_assert_int_eq(B->presign(h, key, time(NULL) + 60,
	    &(struct store_presign){ .content_disposition = cd }, url, 16, &err), ERR_INTERNAL);

	/* Both overrides at once (signed in name order), and Content-Type alone. */
	presign2(key, time(NULL) + 300, cd, "application/pdf", url, sizeof(url));
	http_get(url, r);
	ck_assert_msg(r->status == 200, "status %d: %s", r->status, r->body);
	ck_assert_str_eq(http_header(r, "Content-Disposition"), cd);
	ck_assert_str_eq(http_header(r, "Content-Type"), "application/pdf");
	q = strstr(url, "response-content-type=application%2Fpdf");
	ck_assert_ptr_nonnull(q);
	memcpy(q + strlen("response-content-type="), "text%2Fhtm", 10);
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	presign2(key, time(NULL) + 300, NULL, "image/png", url, sizeof(url));
	http_get(url, r);
	ck_assert_msg(r->status == 200, "status %d: %s", r->status, r->body);
	ck_assert_str_eq(http_header(r, "Content-Type"), "image/png");
	ck_assert_ptr_null(http_header(r, "Content-Disposition"));
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	free(r);
}
END_TEST

struct seen {
	char	 keys[16][256];
	int	 n;
	int	 stop_after;
};

static int
collect(void *arg, const char *key, int64_t size, time_t mtime)
{
	struct seen *s = arg;

	(void)mtime;
	ck_assert_int_lt(s->n, 16);
	ck_assert_int_eq(size, 3);
	snprintf(s->keys[s->n++], sizeof(s->keys[0]), "%s", key);
	return s->stop_after > 0 && s->n >= s->stop_after;
}

START_TEST(test_list_pages)
{
	char key[256], lp[192];
	struct seen s;
	const char *err = NULL;
	int i;

	snprintf(lp, sizeof(lp), "%slist/", prefix);
	for (i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "%s%02d.txt", lp, i);
		put_small(key, "abc");
	}
	snprintf(key, sizeof(key), "%slisx.txt", prefix);	/* outside the prefix */
	put_small(key, "abc");

	set_list_page(2);
	memset(&s, 0, sizeof(s));
	ck_assert_msg(B->list(h, lp, collect, &s, &err) == ERR_OK, "list: %s", err);
	ck_assert_int_eq(s.n, 7);
	for (i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "%s%02d.txt", lp, i);
		ck_assert_str_eq(s.keys[i], key);
	}
	ck_assert_int_ge(list_pages(), 4);	/* 2+2+2+1 */

	/* The callback stops the walk. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	ck_assert_int_eq(B->list(h, lp, collect, &s, &err), ERR_OK);
	ck_assert_int_eq(s.n, 3);

	/* An empty prefix lists nothing. */
	memset(&s, 0, sizeof(s));
	snprintf(key, sizeof(key), "%snothing/", prefix);
	ck_assert_int_eq(B->list(h, key, collect, &s, &err), ERR_OK);
	ck_assert_int_eq(s.n, 0);

	for (i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "%s%02d.txt", lp, i);
		ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	}
	snprintf(key, sizeof(key), "%slisx.txt", prefix);
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(B->list(h, lp, collect, &s, &err), ERR_OK);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(test_bad_md5_leaves_nothing)
{
	struct store_put p = { 0 };
	struct store_stat st;
	struct digest other;
	const char *err = NULL;
	char key[256];
	int fd = body_file("the real bytes", 14);
	int ofd = body_file("other bytes", 11);
	enum err rc;

	snprintf(key, sizeof(key), "%sbadmd5.txt", prefix);
	ck_assert_int_eq(digest_fd(ofd, 6, 11, 1, &other), ERR_OK);
	p.fd = fd;
	p.offset = 6;
	p.length = 14;
	p.content_type = "text/plain";
	p.md5_base64 = other.md5_base64;
	rc = B->put(h, key, &p, &err);
	ck_assert_msg(rc != ERR_OK, "a put with a wrong Content-MD5 succeeded");
	ck_assert_int_eq(rc, ERR_INTERNAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_NOTFOUND);
	close(fd);
	close(ofd);
}
END_TEST

/* A loopback port with nothing listening on it. */
static int
closed_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_unreachable_is_backend_error)
{
	struct conf c;
	struct store_put p = { 0 };
	struct store_stat st;
	char endpoint[64];
	const char *err = NULL;
	void *dead;
	double t0;
	int fd = body_file("bytes", 5);

	conf_from_env(&c);
	snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", closed_port());
	c.s3_endpoint = endpoint;
	dead = B->open(&c, &err);
	ck_assert_ptr_nonnull(dead);
	p.fd = fd;
	p.offset = 6;
	p.length = 5;
	t0 = now_s();
	ck_assert_int_eq(B->put(dead, "x/unreachable.txt", &p, &err), ERR_BACKEND);
	ck_assert_ptr_nonnull(err);
	/* Three retries with backoff (0.1 + 0.4 + 1.6 s), no more. */
	ck_assert_double_lt(now_s() - t0, 5.0);
	t0 = now_s();
	ck_assert_int_eq(B->ping(dead, &err), ERR_BACKEND);
	ck_assert_double_lt(now_s() - t0, 1.0);
	ck_assert_int_eq(B->head(dead, "x/unreachable.txt", &st, &err), ERR_BACKEND);
	B->close(dead);
	close(fd);
}
END_TEST

START_TEST(test_silent_peer_times_out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	struct conf c;
	char endpoint[64];
	const char *err = NULL;
	void *mute;
	double t0, took;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	/* Listening, never accepting: the kernel completes the handshake and
	 * takes the request, and no answer ever comes. */
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	conf_from_env(&c);
	snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", ntohs(sin.sin_port));
	c.s3_endpoint = endpoint;
	c.s3_timeout_ms = 1000;
	mute = B->open(&c, &err);
	ck_assert_ptr_nonnull(mute);
	t0 = now_s();
	ck_assert_int_eq(B->ping(mute, &err), ERR_BACKEND);
	took = now_s() - t0;
	ck_assert_msg(took >= 0.9 && took < 3.0, "ping took %.2fs", took);
	ck_assert_ptr_nonnull(strstr(err, "no progress"));
	B->close(mute);
	close(lfd);
}
END_TEST

START_TEST(test_ping)
{
	const char *err = NULL;

	ck_assert_msg(B->ping(h, &err) == ERR_OK, "ping: %s", err);
}
END_TEST

/* key holds size bytes whose MD5 is md5hex: by HEAD and by a presigned GET
 * (whose answer stays in *r). */
static void
assert_reads_back(const char *key, off_t size, const char *md5hex, struct http_resp *r)
{
	struct store_stat st;
	const char *err = NULL;
	char url[4096];

	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_OK);
	ck_assert_int_eq(st.size, size);
	presign(key, time(NULL) + 300, NULL, url, sizeof(url));
	http_get(url, r);
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->total, (size_t)size);
	ck_assert_str_eq(r->md5hex, md5hex);
}

static long
vm_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

START_TEST(test_big_put_bounded_memory)
{
	static char chunk[65536];
	const off_t size = (off_t)64 << 20;
	char path[] = "/tmp/check_s3_big.XXXXXX", key[256], md5hex[33];
	struct store_put p = { 0 };
	struct digest d;
	struct http_resp *r = malloc(sizeof(*r));
	const char *err = NULL;
	long before, after;
	off_t off;
	int fd = mkstemp(path);
	size_t i;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (off = 0; off < size + 6; off += (off_t)sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)((off / (off_t)sizeof(chunk)) * 31 + (off_t)i * 7);
		ck_assert_int_eq(pwrite(fd, chunk, sizeof(chunk), off), (ssize_t)sizeof(chunk));
	}
	ck_assert_int_eq(digest_fd(fd, 6, size, 1, &d), ERR_OK);
	snprintf(key, sizeof(key), "%sbig.bin", prefix);
	p.fd = fd;
	p.offset = 6;
	p.length = size;
	p.content_type = "application/octet-stream";
	p.md5_base64 = d.md5_base64;
	/* Warm up libcurl and libs3 so that their one-time allocations are
	 * not counted against the object. */
	ck_assert_int_eq(B->ping(h, &err), ERR_OK);
	before = vm_hwm_kib();
	ck_assert_msg(B->put(h, key, &p, &err) == ERR_OK, "put: %s", err);
	after = vm_hwm_kib();
	ck_assert_msg(after - before < 8 * 1024, "peak RSS grew by %ld KiB for a 64 MiB put",
	    after - before);

	md5_hex_of_base64(d.md5_base64, md5hex);
	assert_reads_back(key, size, md5hex, r);
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	close(fd);
	free(r);
}
END_TEST

/*
 * The peer goes away under an open handle and comes back: the same handle
 * reports ERR_BACKEND while it is down and works again afterwards, with no
 * reopen.  S3_PEER_STOP_CMD and S3_PEER_START_CMD are shell commands that
 * stop and restart the peer (tests/integration/test_s3_backend.py sets
 * them); this case fails without them.
 */
START_TEST(test_outage_and_recovery)
{
	const char *stop = env("S3_PEER_STOP_CMD"), *start = env("S3_PEER_START_CMD");
	struct store_put p = { 0 };
	struct store_stat st;
	struct digest d;
	const char *err = NULL;
	char before[256], during[256], after[256];
	double t0;
	enum err rc = ERR_BACKEND;
	int fd = body_file("survives", 8);

	snprintf(before, sizeof(before), "%soutage/before.txt", prefix);
	snprintf(during, sizeof(during), "%soutage/during.txt", prefix);
	snprintf(after, sizeof(after), "%soutage/after.txt", prefix);
	put_small(before, "survives");

	ck_assert_int_eq(system(stop), 0);
	ck_assert_int_eq(digest_fd(fd, 6, 8, 1, &d), ERR_OK);
	p.fd = fd;
	p.offset = 6;
	p.length = 8;
	p.content_type = "text/plain";
	p.md5_base64 = d.md5_base64;
	t0 = now_s();
	ck_assert_int_eq(B->put(h, during, &p, &err), ERR_BACKEND);
	ck_assert_double_lt(now_s() - t0, 5.0);
	ck_assert_int_eq(B->ping(h, &err), ERR_BACKEND);

	ck_assert_int_eq(system(start), 0);
	for (t0 = now_s(); now_s() - t0 < 20.0; usleep(100000))
		if ((rc = B->ping(h, &err)) == ERR_OK)
			break;
	ck_assert_msg(rc == ERR_OK, "the peer did not come back: %s", err);
	put_small(after, "works again");
	ck_assert_int_eq(B->head(h, before, &st, &err), ERR_OK);
	ck_assert_int_eq(st.size, 8);
	ck_assert_int_eq(B->head(h, during, &st, &err), ERR_NOTFOUND);
	ck_assert_int_eq(B->del(h, before, &err), ERR_OK);
	ck_assert_int_eq(B->del(h, after, &err), ERR_OK);
	close(fd);
}
END_TEST

/* ---- Signature V4 only -------------------------------------------------- */

/* A handle like h but with other settings (freed by the caller with B->close). */
static void *
open_with_token(const char *region, const char *secret, const char *akid, int64_t threshold,
    int64_t part, const char *token)
{
	struct conf c;
	const char *err = NULL;
	void *x;

	conf_from_env(&c);
	if (token != NULL)
		c.s3_session_token = kept(token);
	if (region != NULL)
		c.s3_region = kept(region);
	if (secret != NULL)
		c.s3_secret_access_key = kept(secret);
	if (akid != NULL)
		c.s3_access_key_id = kept(akid);
	if (threshold > 0) {
		c.s3_multipart_threshold = threshold;
		c.s3_part_size = part;
	}
	x = B->open(&c, &err);
	ck_assert_msg(x != NULL, "open: %s", err);
	return x;
}

static void *
open_with(const char *region, const char *secret, const char *akid, int64_t threshold,
    int64_t part)
{
	return open_with_token(region, secret, akid, threshold, part, NULL);
}

/*
 * libcurl signs the requests; what it sent must be exactly what sigv4.c
 * (checked against AWS's test suite and AWS's JS signer) computes for the
 * same request, region included: Ceph RGW does not check the region, so
 * only this comparison catches a wrong one.
 */
static void
assert_curl_signed_like_sigv4(void *x, const char *region, const char *token)
{
	struct sigv4_cred c = { getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
	    region, "s3" };
	char path[256], *want;
	const char *date = store_s3v4_last_amz_date(x), *err = NULL;
	struct sigv4_header hd[4] = {
		{ "host", getenv("S3_ENDPOINT") },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", date },
		{ "x-amz-security-token", token },
	};
	struct sigv4_request r = { .method = "GET", .path = path,
	    .query = "list-type=2&max-keys=1&prefix=.coffer-readiness", .headers = hd,
	    .nheaders = token != NULL ? 4 : 3, .payload_hash = SIGV4_EMPTY_SHA256 };

	ck_assert_msg(B->ping(x, &err) == ERR_OK, "ping: %s", err);
	ck_assert_uint_eq(strlen(date), 16);
	snprintf(path, sizeof(path), "/%s", getenv("S3_BUCKET_NAME"));
	want = sigv4_authorization(&c, date, &r);
	ck_assert_ptr_nonnull(want);
	ck_assert_str_eq(store_s3v4_last_authorization(x), want);
	free(want);
}

START_TEST(test_v4_curl_signature_is_sigv4s)
{
	void *eu = open_with("eu-west-3", NULL, NULL, 0, 0);

	assert_curl_signed_like_sigv4(h, "us-east-1", NULL);
	assert_curl_signed_like_sigv4(eu, "eu-west-3", NULL);
	ck_assert_ptr_nonnull(strstr(store_s3v4_last_authorization(eu), "/eu-west-3/s3/aws4_request"));
	B->close(eu);
}
END_TEST

/*
 * A session token travels signed: as x-amz-security-token with every
 * request (libcurl's signature equals sigv4.c's with it) and as
 * X-Amz-Security-Token in presigned URLs, where changing it breaks the
 * signature.  (RGW without STS ignores the token's value, so this checks
 * the signing, not STS.)
 */
START_TEST(test_v4_session_token_is_signed)
{
	static const char token[] = "FwoGZXIvYXdzE+test/session=token";
	void *t = open_with_token(NULL, NULL, NULL, 0, 0, token);
	struct http_resp *r = malloc(sizeof(*r));
	char key[256], url[4096], *q;
	const char *err = NULL;

	assert_curl_signed_like_sigv4(t, "us-east-1", token);
	ck_assert_ptr_nonnull(strstr(store_s3v4_last_authorization(t),
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
	snprintf(key, sizeof(key), "%stoken.txt", prefix);
	put_small(key, "with a token");
	ck_assert_int_eq(B->presign(t, key, time(NULL) + 60, NULL, url, sizeof(url), &err), ERR_OK);
	q = strstr(url, "&X-Amz-Security-Token=FwoGZXIvYXdzE%2Btest%2Fsession%3Dtoken&");
	ck_assert_msg(q != NULL, "%s", url);
	http_get(url, r);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->body, "with a token");
	q[strlen("&X-Amz-Security-Token=")] = 'G';
	http_get(url, r);
	ck_assert_int_eq(r->status, 403);
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);
	B->close(t);
	free(r);
}
END_TEST

START_TEST(test_v4_wrong_credentials_say_what_to_fix)
{
	struct store_put p = { 0 };
	struct store_stat st;
	const char *err = NULL;
	char key[256];
	void *bad = open_with(NULL, "not-the-secret-0123456789", NULL, 0, 0);
	void *nokey = open_with(NULL, NULL, "COFFERUNKNOWNKEY0000", 0, 0);
	int fd = body_file("wrong secret", 12);

	ck_assert_int_eq(B->ping(bad, &err), ERR_BACKEND);
	ck_assert_msg(strstr(err, "SignatureDoesNotMatch (HTTP 403)") != NULL &&
	    strstr(err, "[s3] secret_access_key") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "not-the-secret"));
	snprintf(key, sizeof(key), "%swrong-secret.txt", prefix);
	p.fd = fd;
	p.offset = 6;
	p.length = 12;
	p.content_type = "text/plain";
	ck_assert_int_eq(B->put(bad, key, &p, &err), ERR_BACKEND);
	ck_assert_ptr_nonnull(strstr(err, "SignatureDoesNotMatch"));
	/* A HEAD's refusal has no body: the code still reaches the log. */
	ck_assert_int_eq(B->head(bad, key, &st, &err), ERR_BACKEND);
	ck_assert_msg(strstr(err, "SignatureDoesNotMatch") != NULL, "%s", err);
	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_NOTFOUND);

	ck_assert_int_eq(B->ping(nokey, &err), ERR_BACKEND);
	ck_assert_msg(strstr(err, "InvalidAccessKeyId") != NULL &&
	    strstr(err, "[s3] access_key_id") != NULL, "%s", err);
	B->close(bad);
	B->close(nokey);
	close(fd);
}
END_TEST

/*
 * HTTPS is verified by default: the stack's nginx (a self-signed
 * certificate for 127.0.0.1) is refused, with the hint to set ca_file;
 * with [s3] ca_file = that certificate the TLS handshake passes and the
 * answer is nginx's, not a TLS error.  Needs COFFER_HTTPS_PORT and
 * COFFER_CA_CERT from the stack.env.
 */
START_TEST(test_v4_tls_verified_by_default)
{
	struct conf c;
	char endpoint[64];
	const char *err = NULL;
	void *x;

	conf_from_env(&c);
	snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%s", env("COFFER_HTTPS_PORT"));
	c.s3_endpoint = endpoint;
	c.s3_tls = 1;
	x = B->open(&c, &err);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(B->ping(x, &err), ERR_BACKEND);
	ck_assert_msg(strstr(err, "[s3] ca_file") != NULL, "%s", err);
	B->close(x);

	c.s3_ca_file = kept(env("COFFER_CA_CERT"));
	x = B->open(&c, &err);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_ne(B->ping(x, &err), ERR_OK);	/* nginx is no S3 */
	ck_assert_msg(strstr(err, "(HTTP ") != NULL && strstr(err, "certificate") == NULL, "%s", err);
	B->close(x);
}
END_TEST

/*
 * Run under faketime with this host's clock 20 minutes behind S3's
 * (test_s3_backend.py sets COFFER_CLOCK_SKEWED and wraps the program):
 * S3 refuses with RequestTimeTooSkewed, and the message says what to do.
 */
START_TEST(test_v4_skewed_clock_named)
{
	const char *err = NULL;

	env("COFFER_CLOCK_SKEWED");
	ck_assert_int_eq(B->ping(h, &err), ERR_BACKEND);
	ck_assert_msg(strstr(err, "RequestTimeTooSkewed (HTTP 403)") != NULL &&
	    strstr(err, "sync it (NTP)") != NULL, "%s", err);
}
END_TEST

/* Above the threshold: parts of part_size, each with its own digests;
 * memory stays flat and the object reads back byte for byte. */
START_TEST(test_v4_multipart)
{
	static char chunk[65536];
	const off_t size = (off_t)11 << 20 | 12345;	/* 3 parts of 5 MiB, the last short */
	char path[] = "/tmp/check_s3_mp.XXXXXX", key[256], md5hex[33];
	struct store_put p = { 0 };
	struct store_stat st;
	struct http_resp *r = malloc(sizeof(*r));
	unsigned char dig[16];
	unsigned int dl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *err = NULL;
	void *mp = open_with(NULL, NULL, NULL, INT64_C(5) << 20, INT64_C(5) << 20);
	off_t off;
	size_t i, n;
	int fd = mkstemp(path);
	struct seen none = { 0 };

	ck_assert_int_ge(fd, 0);
	unlink(path);
	EVP_DigestInit_ex(md, EVP_md5(), NULL);
	for (off = 0; off < size; off += (off_t)n) {
		n = size - off < (off_t)sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = (char)((off / 4096) * 13 + (off_t)i * 3);
		ck_assert_int_eq(pwrite(fd, chunk, n, off + 6), (ssize_t)n);
		EVP_DigestUpdate(md, chunk, n);
	}
	EVP_DigestFinal_ex(md, dig, &dl);
	EVP_MD_CTX_free(md);
	for (i = 0; i < 16; i++)
		snprintf(md5hex + 2 * i, 3, "%02x", dig[i]);
	snprintf(key, sizeof(key), "%smultipart.bin", prefix);
	p.fd = fd;
	p.offset = 6;
	p.length = size;
	p.content_type = "application/pdf";
	p.original_name = "multipart.pdf";
	ck_assert_msg(B->put(mp, key, &p, &err) == ERR_OK, "put: %s", err);
	ck_assert_int_eq(store_s3v4_last_parts(mp), 3);
	assert_reads_back(key, size, md5hex, r);
	ck_assert_str_eq(http_header(r, "Content-Type"), "application/pdf");
	/* The multipart upload carries the metadata, and no identity. */
	ck_assert_str_eq(http_header(r, "x-amz-meta-original-name"), "multipart.pdf");
	ck_assert_ptr_null(http_header(r, "x-amz-meta-customer-id"));
	/* A multipart ETag is not an MD5: "<hex>-3". */
	ck_assert_ptr_nonnull(strstr(http_header(r, "ETag"), "-3\""));
	ck_assert_int_eq(B->del(h, key, &err), ERR_OK);

	/* A part that cannot be read fails the upload and leaves nothing:
	 * the announced length runs past the end of the file. */
	p.length = size + (off_t)(6 << 20);
	ck_assert_int_ne(B->put(mp, key, &p, &err), ERR_OK);
	ck_assert_int_eq(B->head(h, key, &st, &err), ERR_NOTFOUND);
	ck_assert_int_eq(B->list(h, key, collect, &none, &err), ERR_OK);
	ck_assert_int_eq(none.n, 0);
	B->close(mp);
	close(fd);
	free(r);
}
END_TEST

static Suite *
store_s3_suite(void)
{
	Suite *s = suite_create("store_s3");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_put_range_get_head_delete);
	tcase_add_test(tc, test_presign_expiry);
	tcase_add_test(tc, test_presign_content_disposition);
	tcase_add_test(tc, test_list_pages);
	tcase_add_test(tc, test_bad_md5_leaves_nothing);
	tcase_add_test(tc, test_unreachable_is_backend_error);
	tcase_add_test(tc, test_silent_peer_times_out);
	tcase_add_test(tc, test_big_put_bounded_memory);
	suite_add_tcase(s, tc);

	if (v4) {
		tc = tcase_create("v4");
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, test_v4_curl_signature_is_sigv4s);
		tcase_add_test(tc, test_v4_wrong_credentials_say_what_to_fix);
		tcase_add_test(tc, test_v4_multipart);
		tcase_add_test(tc, test_v4_tls_verified_by_default);
		tcase_add_test(tc, test_v4_session_token_is_signed);
		suite_add_tcase(s, tc);

		/* Run alone with CK_RUN_CASE=skew, under faketime. */
		tc = tcase_create("skew");
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, test_v4_skewed_clock_named);
		suite_add_tcase(s, tc);
	}

	/* Run alone with CK_RUN_CASE=outage: it stops the peer. */
	tc = tcase_create("outage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_outage_and_recovery);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *sig = getenv("S3_SIGNATURE");
	SRunner *sr;

	v4 = sig == NULL || strcmp(sig, "v2") != 0;
	B = v4 ? &store_s3v4_backend : &store_s3_backend;
	sr = srunner_create(store_s3_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
