/* s3req.c - one request to S3 over libcurl (Signature V4), its retries and S3's error codes. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "store/s3req.h"
#include "store/sigv4.h"
#include "store/store.h"
#include "store/store_s3.h"

#define S3REQ_USER_AGENT	"coffer/" PACKAGE_VERSION
#define S3REQ_TRIES	4		/* the first try and 3 retries */
#define S3REQ_BODY_MAX	(8 << 20)	/* answers kept: list pages, errors */
#define S3REQ_NAME_MAX	1024

static const int s3req_backoff_ms[S3REQ_TRIES - 1] = { 100, 400, 1600 };

/*
 * libcurl signs every request (CURLOPT_AWS_SIGV4).  Its 7.88 limits are
 * handled here: it does not add x-amz-content-sha256 (RGW and AWS refuse a
 * request without it), so the SHA-256 Coffer computed is sent and S3
 * verifies the payload against it; it signs the query string as given, so
 * every query goes through sigv4_canonical_query() first (sorted, encoded
 * once).
 */
static int64_t
s3req_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s3req_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
s3req_out_free(struct s3req_out *r)
{
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
}

/* ---- libcurl callbacks ------------------------------------------------- */

static size_t
s3req_on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct s3req_out *r = arg;
	size_t want = size * n;
	ssize_t got;

	if (r->left <= 0)
		return 0;
	if ((off_t)want > r->left)
		want = (size_t)r->left;
	do
		got = pread(r->fd, buf, want, r->off);
	while (got == -1 && errno == EINTR);
	if (got <= 0) {
		r->read_errno = got == 0 ? EIO : errno;	/* 0: file shorter than announced */
		return CURL_READFUNC_ABORT;
	}
	r->off += got;
	r->left -= got;
	return (size_t)got;
}

static size_t
s3req_on_write(char *data, size_t size, size_t n, void *arg)
{
	struct s3req_out *r = arg;
	size_t len = size * n;

	/* Keep the first S3REQ_BODY_MAX bytes: answers are small XML. */
	if (r->bodylen < S3REQ_BODY_MAX) {
		size_t take = len < S3REQ_BODY_MAX - r->bodylen ? len : S3REQ_BODY_MAX - r->bodylen;

		r->body = xrealloc(r->body, r->bodylen + take + 1);
		memcpy(r->body + r->bodylen, data, take);
		r->bodylen += take;
		r->body[r->bodylen] = '\0';
	}
	return len;
}

/* Copy header value v (len bytes, CRLF stripped) into out. */
static void
s3req_header_value(const char *v, size_t len, char *out, size_t outlen)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t
s3req_on_header(char *line, size_t size, size_t n, void *arg)
{
	struct s3req_out *r = arg;
	size_t len = size * n;
	char v[128];

#define S3REQ_HDR(name) (len > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0)
	if (S3REQ_HDR("ETag:")) {
		s3req_header_value(line + 5, len - 5, r->etag, sizeof(r->etag));
	} else if (S3REQ_HDR("Content-Length:")) {
		s3req_header_value(line + 15, len - 15, v, sizeof(v));
		r->size = strtoll(v, NULL, 10);
	} else if (S3REQ_HDR("Last-Modified:")) {
		s3req_header_value(line + 14, len - 14, v, sizeof(v));
		r->mtime = curl_getdate(v, NULL);
	} else if (S3REQ_HDR("x-amz-bucket-region:")) {
		s3req_header_value(line + 20, len - 20, r->region_hdr, sizeof(r->region_hdr));
	}
#undef S3REQ_HDR
	return len;
}

/* Abort a request that has shown no progress for timeout_ms. */
static int
s3req_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct s3req_out *r = arg;
	int64_t now = s3req_now_ms();

	(void)dltotal;
	(void)ultotal;
	if (dlnow != r->dl_seen || ulnow != r->ul_seen) {
		r->dl_seen = dlnow;
		r->ul_seen = ulnow;
		r->progress_ms = now;
	}
	if (now - r->progress_ms >= r->s->timeout_ms) {
		r->timed_out = 1;
		return 1;
	}
	return 0;
}

/* Keep the Authorization and x-amz-date libcurl sent (for the tests). */
static int
s3req_on_debug(CURL *c, curl_infotype type, char *data, size_t len, void *arg)
{
	struct s3req *s = arg;
	const char *p = data, *end = data + len, *eol;

	(void)c;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > 14 && strncasecmp(p, "Authorization:", 14) == 0)
			s3req_header_value(p + 14, (size_t)(eol - p) - 14, s->last_authz,
			    sizeof(s->last_authz));
		else if ((size_t)(eol - p) > 11 && strncasecmp(p, "x-amz-date:", 11) == 0)
			s3req_header_value(p + 11, (size_t)(eol - p) - 11, s->last_date,
			    sizeof(s->last_date));
	}
	return 0;
}

/* ---- S3's XML ---------------------------------------------------------- */

xmlDocPtr
s3req_xml(const struct s3req_out *r)
{
	if (r->body == NULL || r->bodylen == 0)
		return NULL;
	return xmlReadMemory(r->body, (int)r->bodylen, "s3.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

xmlNodePtr
s3req_xml_root(const struct s3req_out *r, const char *name, xmlDocPtr *doc)
{
	xmlNodePtr root;

	*doc = s3req_xml(r);
	root = *doc != NULL ? xmlDocGetRootElement(*doc) : NULL;
	if (root != NULL && strcmp((const char *)root->name, name) == 0)
		return root;
	if (*doc != NULL)
		xmlFreeDoc(*doc);
	*doc = NULL;
	return NULL;
}

/* The first child element of n named name (any namespace), or NULL. */
static xmlNodePtr
s3req_child(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The text of n's child name into out ("" when absent). */
void
s3req_child_text(xmlNodePtr n, const char *name, char *out, size_t outlen)
{
	xmlChar *t;

	out[0] = '\0';
	if ((n = s3req_child(n, name)) == NULL || (t = xmlNodeGetContent(n)) == NULL)
		return;
	snprintf(out, outlen, "%s", (const char *)t);
	xmlFree(t);
}

/* <Error><Code/><Message/><Region/></Error> into r. */
void
s3req_parse_error(struct s3req_out *r)
{
	xmlDocPtr doc;
	xmlNodePtr root = s3req_xml_root(r, "Error", &doc);

	if (root == NULL)
		return;
	s3req_child_text(root, "Code", r->code, sizeof(r->code));
	s3req_child_text(root, "Message", r->message, sizeof(r->message));
	s3req_child_text(root, "Region", r->region, sizeof(r->region));
	xmlFreeDoc(doc);
}

/* ---- one request ------------------------------------------------------- */

static char *
s3req_url(const struct s3req *s, const char *key, const char *cquery)
{
	char *ekey = sigv4_uri_encode(key != NULL ? key : "", 1), *url;
	const char *scheme = s->tls ? "https" : "http";

	if (s->virtual_host)
		url = xasprintf("%s://%s.%s/%s%s%s", scheme, s->bucket, s->host, ekey,
		    cquery[0] != '\0' ? "?" : "", cquery);
	else
		url = xasprintf("%s://%s/%s%s%s%s%s", scheme, s->host, s->bucket,
		    key != NULL ? "/" : "", ekey, cquery[0] != '\0' ? "?" : "", cquery);
	free(ekey);
	return url;
}

void
s3req_perform(struct s3req *s, const struct s3req_in *q, struct s3req_out *r)
{
	struct curl_slist *h = NULL;
	const struct curl_slist *e;
	char *cquery = sigv4_canonical_query(q->query), *url = s3req_url(s, q->key, cquery);
	char *line;
	CURL *c = s->curl;

	s3req_out_free(r);
	memset(&r->cc, 0, sizeof(*r) - offsetof(struct s3req_out, cc));
	r->s = s;
	r->fd = q->fd;
	r->off = q->off;
	r->left = q->mem == NULL ? q->len : 0;
	r->progress_ms = s3req_now_ms();
	s->last_authz[0] = s->last_date[0] = '\0';

	for (e = q->headers; e != NULL; e = e->next)
		h = curl_slist_append(h, e->data);
	line = xasprintf("x-amz-content-sha256: %s", q->sha256 != NULL ? q->sha256 :
	    SIGV4_EMPTY_SHA256);
	h = curl_slist_append(h, line);
	free(line);
	if (s->token[0] != '\0') {
		line = xasprintf("x-amz-security-token: %s", s->token);
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, S3REQ_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4_param);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->akid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s3req_on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s3req_on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s3req_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, s3req_on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	/* Verification is on by default in libcurl; said here so it stays. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(q->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, s3req_on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, r);
	} else if (strcmp(q->method, "POST") == 0) {
		/* From memory, so libcurl hashes the same bytes it sends. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(q->mem != NULL ? strlen(q->mem) : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->mem != NULL ? q->mem : "");
	} else if (strcmp(q->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	r->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->cc == CURLE_OK && r->status >= 300)
		s3req_parse_error(r);
	curl_slist_free_all(h);
	free(url);
	free(cquery);
}

/* Transient: the peer or the path to it may do better shortly. */
static int
s3req_retryable(const struct s3req_out *r)
{
	if (r->timed_out || r->read_errno != 0)
		return 0;	/* it already waited timeout_ms; or our file failed */
	switch (r->cc) {
	case CURLE_OK:
		return r->status == 500 || r->status == 502 || r->status == 503 ||
		    r->status == 504;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

void
s3req_perform_retry(struct s3req *s, const struct s3req_in *q, struct s3req_out *r)
{
	int try;

	for (try = 0; ; try++) {
		s3req_perform(s, q, r);
		if ((r->cc == CURLE_OK && r->status < 300) || try == S3REQ_TRIES - 1 ||
		    !s3req_retryable(r))
			return;
		log_debug("S3 %s %s: %s %ld, retrying in %d ms", q->method,
		    q->key != NULL ? q->key : "(bucket)", curl_easy_strerror(r->cc), r->status,
		    s3req_backoff_ms[try]);
		s3req_sleep_ms(s3req_backoff_ms[try]);
	}
}

/* What to fix for S3's error code, for the log. */
static const char *
s3req_hint(const struct s3req_out *r, char *buf, size_t len)
{
	static const struct {
		const char *code, *hint;
	} hints[] = {
		{ "RequestTimeTooSkewed", "this host's clock is off by more than 15 minutes: sync it (NTP)" },
		{ "InvalidAccessKeyId", "S3 does not know [s3] access_key_id (AWS_ACCESS_KEY_ID)" },
		{ "SignatureDoesNotMatch", "[s3] secret_access_key (AWS_SECRET_ACCESS_KEY) does not belong to the access key" },
		{ "ExpiredToken", "[s3] session_token (AWS_SESSION_TOKEN) expired: renew the temporary credentials" },
		{ "InvalidToken", "[s3] session_token (AWS_SESSION_TOKEN) is not valid for these credentials" },
		{ "AccessDenied", "the credentials lack a permission Coffer needs (docs/BACKENDS.md has the IAM policy)" },
		{ "NoSuchBucket", "[s3] bucket (S3_BUCKET_NAME) does not exist at this endpoint" },
		{ "PermanentRedirect", "the bucket lives in another region: set [s3] region and endpoint to it" },
	};
	size_t i;

	if (strcmp(r->code, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(r->code, "IllegalLocationConstraintException") == 0 ||
	    (r->code[0] == '\0' && r->region_hdr[0] != '\0' && r->status == 301)) {
		const char *want = r->region[0] != '\0' ? r->region : r->region_hdr;

		if (want[0] != '\0')
			snprintf(buf, len, "the bucket is in region %s: set [s3] region (AWS_REGION) = %s",
			    want, want);
		else
			snprintf(buf, len, "wrong region: set [s3] region (AWS_REGION) to the bucket's");
		return buf;
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcmp(r->code, hints[i].code) == 0)
			return hints[i].hint;
	return NULL;
}

/* The outcome of r as the interface's error, with a message for the log. */
enum err
s3req_result(struct s3req *s, struct s3req_out *r, const char *what, const char **errstr)
{
	char hintbuf[256];
	const char *hint;
	enum err rc;

	if (r->timed_out) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: no progress for %" PRId64 " ms (%s)",
		    what, s->timeout_ms, s->host);
		*errstr = s->errbuf;
		return ERR_BACKEND;
	}
	if (r->read_errno != 0) {
		errno = r->read_errno;
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: reading the body file: %s", what,
		    strerror(r->read_errno));
		*errstr = s->errbuf;
		return ERR_SYS;
	}
	if (r->cc != CURLE_OK) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: %s%s (%s)", what,
		    curl_easy_strerror(r->cc),
		    r->cc == CURLE_PEER_FAILED_VERIFICATION || r->cc == CURLE_SSL_CACERT_BADFILE ?
		    ": the endpoint's certificate is not trusted (set [s3] ca_file to its CA)" : "",
		    s->host);
		*errstr = s->errbuf;
		return r->cc == CURLE_OUT_OF_MEMORY ? ERR_NOMEM : ERR_BACKEND;
	}
	if (r->status >= 200 && r->status < 300)
		return ERR_OK;
	if (r->status == 404 && strcmp(r->code, "NoSuchBucket") != 0 &&
	    strcmp(r->code, "NoSuchUpload") != 0)
		rc = ERR_NOTFOUND;
	else if (strcmp(r->code, "BadDigest") == 0 || strcmp(r->code, "InvalidDigest") == 0 ||
	    strcmp(r->code, "XAmzContentSHA256Mismatch") == 0 ||
	    strcmp(r->code, "KeyTooLongError") == 0 || strcmp(r->code, "MalformedXML") == 0 ||
	    strcmp(r->code, "InvalidPart") == 0 || strcmp(r->code, "InvalidPartOrder") == 0 ||
	    strcmp(r->code, "EntityTooSmall") == 0)
		rc = ERR_INTERNAL;	/* our request or our bytes, not the peer */
	else
		rc = ERR_BACKEND;	/* refused, misconfigured, 5xx: the backend */
	hint = s3req_hint(r, hintbuf, sizeof(hintbuf));
	snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: %s (HTTP %ld)%s%s%s%s (%s)", what,
	    r->code[0] != '\0' ? r->code : "no error code", r->status,
	    r->message[0] != '\0' ? ": " : "", r->message, hint != NULL ? "; " : "",
	    hint != NULL ? hint : "", s->host);
	*errstr = s->errbuf;
	return rc;
}

/* A HEAD's error has no body: ask the same as GET to log S3's own code. */
void
s3req_explain_head(struct s3req *s, const char *key, struct s3req_out *r)
{
	struct curl_slist range = { .data = (char *)"Range: bytes=0-0" };
	struct s3req_in g = { .method = "GET", .key = key, .headers = &range, .len = -1 };
	struct s3req_out why = { 0 };

	if (r->cc != CURLE_OK || r->status < 400 || r->status == 404 || r->code[0] != '\0')
		return;
	s3req_perform(s, &g, &why);
	if (why.cc == CURLE_OK && why.code[0] != '\0') {
		memcpy(r->code, why.code, sizeof(r->code));
		memcpy(r->message, why.message, sizeof(r->message));
		memcpy(r->region, why.region, sizeof(r->region));
	}
	s3req_out_free(&why);
}

/* ---- what puts share ---------------------------------------------------- */

/* The object's headers: type, cache policy, the uploader's metadata. */
struct curl_slist *
s3req_object_headers(const struct store_put *p)
{
	struct curl_slist *h = NULL;
	char name[S3REQ_NAME_MAX], *line;

	line = xasprintf("Content-Type: %s", p->content_type != NULL ? p->content_type :
	    "application/octet-stream");
	h = curl_slist_append(h, line);
	free(line);
	/* Tenants' files: no shared cache may keep a copy. */
	h = curl_slist_append(h, "Cache-Control: private");
	/* No identity (who uploaded, for which customer): a presigned link
	 * shows every x-amz-meta-* header to whoever holds it (store.h). */
	if (p->original_name != NULL && p->original_name[0] != '\0') {
		store_s3_meta_encode(p->original_name, name, sizeof(name));
		line = xasprintf("x-amz-meta-original-name: %s", name);
		h = curl_slist_append(h, line);
		free(line);
	}
	return h;
}

/* "2026-12-03T09:25:57.839Z" as seconds since the epoch (0 if unparsable). */
time_t
s3req_iso_time(const char *t)
{
	struct tm tm = { 0 };

	if (strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}
