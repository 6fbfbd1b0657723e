/* store_s3v4.c - objects in an S3 bucket through libcurl, signed with AWS Signature V4. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "store/sigv4.h"
#include "store/store.h"
#include "store/store_s3.h"
#include "store/store_s3v4.h"

/*
 * libcurl signs every request (CURLOPT_AWS_SIGV4).  Its 7.88 limits are
 * handled here: it does not add x-amz-content-sha256 (RGW and AWS refuse a
 * request without it), so this backend sends the SHA-256 Coffer computed
 * and S3 verifies the payload against it; it signs the query string as
 * given, so every query goes through sigv4_canonical_query() first (sorted,
 * encoded once).  Presigned URLs come from sigv4.c.
 */

#define V4_USER_AGENT	"coffer/" PACKAGE_VERSION
#define V4_PING_KEY	".coffer-readiness"
#define V4_NAME_MAX	1024
#define V4_TRIES	4		/* the first try and 3 retries */
#define V4_BODY_MAX	(8 << 20)	/* answers kept: list pages, errors */
#define V4_PARTS_MAX	10000		/* AWS's limit */

static const int v4_backoff_ms[V4_TRIES - 1] = { 100, 400, 1600 };

struct s3v4 {
	CURL		*curl;		/* one per handle: connections are reused */
	char		*host;
	char		*bucket;
	char		*akid;
	char		*secret;
	char		*token;		/* "" without a session token */
	char		*region;
	char		*sigv4_param;	/* "aws:amz:<region>:s3" */
	char		*ca_file;	/* "" for the system's */
	int		 tls;
	int		 virtual_host;
	int64_t		 timeout_ms;
	int64_t		 threshold;
	int64_t		 part_size;
	int		 list_page;
	int		 list_pages;
	int		 last_parts;
	char		 last_authz[512];
	char		 last_date[24];
	char		 errbuf[640];	/* *errstr points here */
};

/* One request. */
struct v4_req {
	const char		*method;	/* GET HEAD PUT POST DELETE */
	const char		*key;		/* NULL: the bucket */
	const char		*query;		/* raw; canonicalised before use */
	const struct curl_slist	*headers;	/* more headers, or NULL */
	const char		*sha256;	/* payload hash; NULL: empty body */
	int			 fd;		/* body from [off, off+len) of fd ... */
	off_t			 off, len;
	const char		*mem;		/* ... or from memory (POST) */
};

/* Its outcome. */
struct v4_resp {
	struct s3v4	*s;
	CURLcode	 cc;
	long		 status;
	int		 timed_out;
	int		 read_errno;
	int64_t		 progress_ms;
	curl_off_t	 ul_seen, dl_seen;
	/* reading the body */
	int		 fd;
	off_t		 off, left;
	/* the answer */
	char		 etag[80];
	int64_t		 size;
	time_t		 mtime;
	char		 region_hdr[64];	/* x-amz-bucket-region */
	char		*body;
	size_t		 bodylen;
	char		 code[64];		/* S3's error code */
	char		 message[256];
	char		 region[64];		/* <Region> of an error */
};

static int64_t
v4_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
v4_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
v4_resp_free(struct v4_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->bodylen = 0;
}

/* ---- libcurl callbacks ------------------------------------------------- */

static size_t
v4_on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct v4_resp *r = arg;
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
v4_on_write(char *data, size_t size, size_t n, void *arg)
{
	struct v4_resp *r = arg;
	size_t len = size * n;

	/* Keep the first V4_BODY_MAX bytes: answers are small XML. */
	if (r->bodylen < V4_BODY_MAX) {
		size_t take = len < V4_BODY_MAX - r->bodylen ? len : V4_BODY_MAX - r->bodylen;

		r->body = xrealloc(r->body, r->bodylen + take + 1);
		memcpy(r->body + r->bodylen, data, take);
		r->bodylen += take;
		r->body[r->bodylen] = '\0';
	}
	return len;
}

/* Copy header value v (len bytes, CRLF stripped) into out. */
static void
v4_header_value(const char *v, size_t len, char *out, size_t outlen)
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
v4_on_header(char *line, size_t size, size_t n, void *arg)
{
	struct v4_resp *r = arg;
	size_t len = size * n;
	char v[128];

#define V4_HDR(name) (len > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0)
	if (V4_HDR("ETag:")) {
		v4_header_value(line + 5, len - 5, r->etag, sizeof(r->etag));
	} else if (V4_HDR("Content-Length:")) {
		v4_header_value(line + 15, len - 15, v, sizeof(v));
		r->size = strtoll(v, NULL, 10);
	} else if (V4_HDR("Last-Modified:")) {
		v4_header_value(line + 14, len - 14, v, sizeof(v));
		r->mtime = curl_getdate(v, NULL);
	} else if (V4_HDR("x-amz-bucket-region:")) {
		v4_header_value(line + 20, len - 20, r->region_hdr, sizeof(r->region_hdr));
	}
#undef V4_HDR
	return len;
}

/* Abort a request that has shown no progress for timeout_ms. */
static int
v4_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct v4_resp *r = arg;
	int64_t now = v4_now_ms();

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
v4_on_debug(CURL *c, curl_infotype type, char *data, size_t len, void *arg)
{
	struct s3v4 *s = arg;
	const char *p = data, *end = data + len, *eol;

	(void)c;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > 14 && strncasecmp(p, "Authorization:", 14) == 0)
			v4_header_value(p + 14, (size_t)(eol - p) - 14, s->last_authz,
			    sizeof(s->last_authz));
		else if ((size_t)(eol - p) > 11 && strncasecmp(p, "x-amz-date:", 11) == 0)
			v4_header_value(p + 11, (size_t)(eol - p) - 11, s->last_date,
			    sizeof(s->last_date));
	}
	return 0;
}

/* ---- S3's XML ---------------------------------------------------------- */

static xmlDocPtr
v4_xml(const struct v4_resp *r)
{
	if (r->body == NULL || r->bodylen == 0)
		return NULL;
	return xmlReadMemory(r->body, (int)r->bodylen, "s3.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* The first child element of n named name (any namespace), or NULL. */
static xmlNodePtr
v4_child(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The text of n's child name into out ("" when absent). */
static void
v4_child_text(xmlNodePtr n, const char *name, char *out, size_t outlen)
{
	xmlChar *t;

	out[0] = '\0';
	if ((n = v4_child(n, name)) == NULL || (t = xmlNodeGetContent(n)) == NULL)
		return;
	snprintf(out, outlen, "%s", (const char *)t);
	xmlFree(t);
}

/* <Error><Code/><Message/><Region/></Error> into r. */
static void
v4_parse_error(struct v4_resp *r)
{
	xmlDocPtr doc = v4_xml(r);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;

	if (root != NULL && strcmp((const char *)root->name, "Error") == 0) {
		v4_child_text(root, "Code", r->code, sizeof(r->code));
		v4_child_text(root, "Message", r->message, sizeof(r->message));
		v4_child_text(root, "Region", r->region, sizeof(r->region));
	}
	if (doc != NULL)
		xmlFreeDoc(doc);
}

/* ---- one request ------------------------------------------------------- */

static char *
v4_url(const struct s3v4 *s, const char *key, const char *cquery)
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

static void
v4_perform(struct s3v4 *s, const struct v4_req *q, struct v4_resp *r)
{
	struct curl_slist *h = NULL;
	const struct curl_slist *e;
	char *cquery = sigv4_canonical_query(q->query), *url = v4_url(s, q->key, cquery);
	char *line;
	CURL *c = s->curl;

	v4_resp_free(r);
	memset(&r->cc, 0, sizeof(*r) - offsetof(struct v4_resp, cc));
	r->s = s;
	r->fd = q->fd;
	r->off = q->off;
	r->left = q->mem == NULL ? q->len : 0;
	r->progress_ms = v4_now_ms();
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
	curl_easy_setopt(c, CURLOPT_USERAGENT, V4_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4_param);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->akid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, v4_on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, v4_on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, v4_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, v4_on_debug);
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
		curl_easy_setopt(c, CURLOPT_READFUNCTION, v4_on_read);
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
		v4_parse_error(r);
	curl_slist_free_all(h);
	free(url);
	free(cquery);
}

/* Transient: the peer or the path to it may do better shortly. */
static int
v4_retryable(const struct v4_resp *r)
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

static void
v4_perform_retry(struct s3v4 *s, const struct v4_req *q, struct v4_resp *r)
{
	int try;

	for (try = 0; ; try++) {
		v4_perform(s, q, r);
		if ((r->cc == CURLE_OK && r->status < 300) || try == V4_TRIES - 1 ||
		    !v4_retryable(r))
			return;
		log_debug("S3 %s %s: %s %ld, retrying in %d ms", q->method,
		    q->key != NULL ? q->key : "(bucket)", curl_easy_strerror(r->cc), r->status,
		    v4_backoff_ms[try]);
		v4_sleep_ms(v4_backoff_ms[try]);
	}
}

/* What to fix for S3's error code, for the log. */
static const char *
v4_hint(const struct v4_resp *r, char *buf, size_t len)
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
static enum err
v4_result(struct s3v4 *s, struct v4_resp *r, const char *what, const char **errstr)
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
	hint = v4_hint(r, hintbuf, sizeof(hintbuf));
	snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: %s (HTTP %ld)%s%s%s%s (%s)", what,
	    r->code[0] != '\0' ? r->code : "no error code", r->status,
	    r->message[0] != '\0' ? ": " : "", r->message, hint != NULL ? "; " : "",
	    hint != NULL ? hint : "", s->host);
	*errstr = s->errbuf;
	return rc;
}

/* A HEAD's error has no body: ask the same as GET to log S3's own code. */
static void
v4_explain_head(struct s3v4 *s, const char *key, struct v4_resp *r)
{
	struct curl_slist range = { .data = (char *)"Range: bytes=0-0" };
	struct v4_req g = { .method = "GET", .key = key, .headers = &range, .len = -1 };
	struct v4_resp why = { 0 };

	if (r->cc != CURLE_OK || r->status < 400 || r->status == 404 || r->code[0] != '\0')
		return;
	v4_perform(s, &g, &why);
	if (why.cc == CURLE_OK && why.code[0] != '\0') {
		memcpy(r->code, why.code, sizeof(r->code));
		memcpy(r->message, why.message, sizeof(r->message));
		memcpy(r->region, why.region, sizeof(r->region));
	}
	v4_resp_free(&why);
}

/* ---- open, close ------------------------------------------------------- */

static void
v4_free(struct s3v4 *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	explicit_bzero(s->secret, strlen(s->secret));
	explicit_bzero(s->token, strlen(s->token));
	free(s->host);
	free(s->bucket);
	free(s->akid);
	free(s->secret);
	free(s->token);
	free(s->region);
	free(s->sigv4_param);
	free(s->ca_file);
	free(s);
}

/*
 * Per worker, after fork: curl_global_init must never run in the master.
 * libcurl counts init/cleanup pairs; each open() is one.
 */
static void *
store_s3v4_open(const struct conf *conf, const char **errstr)
{
	struct s3v4 *s;

	if (conf->s3_endpoint[0] == '\0' || strlen(conf->s3_endpoint) > 255 ||
	    strpbrk(conf->s3_endpoint, "/?#@ ") != NULL) {
		*errstr = "[s3] endpoint must be host or host:port";
		return NULL;
	}
	if (conf->s3_bucket[0] == '\0' || strlen(conf->s3_bucket) > 63 ||
	    strspn(conf->s3_bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-_") !=
	    strlen(conf->s3_bucket) || (conf->s3_virtual_host && strchr(conf->s3_bucket, '_'))) {
		*errstr = "[s3] bucket is not a valid bucket name for this [s3] style";
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*errstr = "curl_global_init failed";
		return NULL;
	}
	xmlInitParser();
	s = xcalloc(1, sizeof(*s));
	s->host = xstrdup(conf->s3_endpoint);
	s->bucket = xstrdup(conf->s3_bucket);
	s->akid = xstrdup(conf->s3_access_key_id);
	s->secret = xstrdup(conf->s3_secret_access_key);
	s->token = xstrdup(conf->s3_session_token != NULL ? conf->s3_session_token : "");
	s->region = xstrdup(conf->s3_region != NULL && conf->s3_region[0] != '\0' ?
	    conf->s3_region : "us-east-1");
	s->sigv4_param = xasprintf("aws:amz:%s:s3", s->region);
	s->ca_file = xstrdup(conf->s3_ca_file != NULL ? conf->s3_ca_file : "");
	s->tls = conf->s3_tls;
	s->virtual_host = conf->s3_virtual_host;
	s->timeout_ms = conf->s3_timeout_ms > 0 ? conf->s3_timeout_ms : 15000;
	s->threshold = conf->s3_multipart_threshold > 0 ? conf->s3_multipart_threshold :
	    INT64_C(64) << 20;
	s->part_size = conf->s3_part_size > 0 ? conf->s3_part_size : INT64_C(16) << 20;
	s->list_page = 1000;
	if ((s->curl = curl_easy_init()) == NULL) {
		*errstr = "curl_easy_init failed";
		v4_free(s);
		curl_global_cleanup();
		return NULL;
	}
	return s;
}

static void
store_s3v4_close(void *h)
{
	if (h == NULL)
		return;
	v4_free(h);
	curl_global_cleanup();
}

/* ---- put --------------------------------------------------------------- */

/* SHA-256 (hex) and MD5 (base64) of [off, off+len) of fd, one read pass
 * with a fixed buffer: a part's own digests, which S3 checks. */
static int
v4_range_digest(int fd, off_t off, off_t len, char sha_hex[65], char md5_b64[25])
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new(), *md5 = EVP_MD_CTX_new();
	unsigned char buf[65536], d[EVP_MAX_MD_SIZE];
	unsigned int dl;
	ssize_t n;
	int rc = -1, i;

	if (sha == NULL || md5 == NULL || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(md5, EVP_md5(), NULL) != 1)
		goto fail;
	while (len > 0) {
		n = pread(fd, buf, len < (off_t)sizeof(buf) ? (size_t)len : sizeof(buf), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		EVP_DigestUpdate(sha, buf, (size_t)n);
		EVP_DigestUpdate(md5, buf, (size_t)n);
		off += n;
		len -= n;
	}
	if (EVP_DigestFinal_ex(sha, d, &dl) != 1)
		goto fail;
	for (i = 0; i < 32; i++)
		snprintf(sha_hex + 2 * i, 3, "%02x", d[i]);
	if (EVP_DigestFinal_ex(md5, d, &dl) != 1)
		goto fail;
	EVP_EncodeBlock((unsigned char *)md5_b64, d, 16);
	rc = 0;
fail:
	EVP_MD_CTX_free(sha);
	EVP_MD_CTX_free(md5);
	return rc;
}

/* The object's headers: type, cache policy, the uploader's metadata. */
static struct curl_slist *
v4_object_headers(const struct store_put *p)
{
	struct curl_slist *h = NULL;
	char name[V4_NAME_MAX], *line;

	line = xasprintf("Content-Type: %s", p->content_type != NULL ? p->content_type :
	    "application/octet-stream");
	h = curl_slist_append(h, line);
	free(line);
	/* Tenants' files: no shared cache may keep a copy. */
	h = curl_slist_append(h, "Cache-Control: private");
	if (p->customer_id != NULL && p->customer_id[0] != '\0') {
		line = xasprintf("x-amz-meta-customer-id: %s", p->customer_id);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (p->uploaded_by != NULL && p->uploaded_by[0] != '\0') {
		line = xasprintf("x-amz-meta-uploaded-by: %s", p->uploaded_by);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (p->original_name != NULL && p->original_name[0] != '\0') {
		store_s3_meta_encode(p->original_name, name, sizeof(name));
		line = xasprintf("x-amz-meta-original-name: %s", name);
		h = curl_slist_append(h, line);
		free(line);
	}
	return h;
}

/*
 * Whether a failed upload may still have left an object: when S3's answer
 * was lost after the request reached it, or when it answered 2xx and the
 * bytes proved wrong.  An error answer means nothing was stored, and a
 * request that never connected cannot have stored anything.
 */
static int
v4_may_have_landed(const struct v4_resp *r)
{
	if (r->cc == CURLE_OK)
		return r->status >= 200 && r->status < 300;
	return r->cc != CURLE_COULDNT_CONNECT && r->cc != CURLE_COULDNT_RESOLVE_HOST &&
	    r->read_errno == 0;
}

/* Remove key after a failed put (a PUT whose answer was lost may have
 * landed).  Keys are fresh UUIDs; best effort, the reconciler does the rest. */
static void
v4_undo(struct s3v4 *s, const char *key)
{
	struct v4_req d = { .method = "DELETE", .key = key, .len = -1 };
	struct v4_resp r = { 0 };

	v4_perform(s, &d, &r);
	if (r.cc != CURLE_OK || (r.status >= 300 && r.status != 404))
		log_warnx("S3 put of %s failed and removing it failed too: %s, HTTP %ld %s", key,
		    curl_easy_strerror(r.cc), r.status, r.code);
	v4_resp_free(&r);
}

static enum err
v4_put_single(struct s3v4 *s, const char *key, const struct store_put *p, const char *sha,
    const char **errstr)
{
	struct curl_slist *h = v4_object_headers(p);
	struct v4_req q = { .method = "PUT", .key = key, .sha256 = sha, .fd = p->fd,
	    .off = p->offset, .len = p->length };
	struct v4_resp r = { 0 };
	char *line;
	enum err rc;

	if (p->md5_base64 != NULL && p->md5_base64[0] != '\0') {
		line = xasprintf("Content-MD5: %s", p->md5_base64);
		h = curl_slist_append(h, line);
		free(line);
	}
	q.headers = h;
	v4_perform_retry(s, &q, &r);
	if ((rc = v4_result(s, &r, "put", errstr)) == ERR_OK &&
	    store_s3_etag_mismatch(r.etag, p->md5_base64)) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 put: the stored object (ETag %s) is "
		    "not the body (MD5 %s) (%s)", r.etag, p->md5_base64, s->host);
		*errstr = s->errbuf;
		rc = ERR_INTERNAL;
	}
	if (rc != ERR_OK && v4_may_have_landed(&r))
		v4_undo(s, key);
	curl_slist_free_all(h);
	v4_resp_free(&r);
	return rc;
}

/* One part: its own SHA-256 and MD5, so S3 checks every byte. */
static enum err
v4_put_part(struct s3v4 *s, const char *key, const char *upload_id, int num,
    const struct store_put *p, off_t off, off_t len, char etag[80], const char **errstr)
{
	struct curl_slist *h = NULL;
	struct v4_resp r = { 0 };
	char sha[65], md5[25], *line, *eid = sigv4_uri_encode(upload_id, 0);
	char *query = xasprintf("partNumber=%d&uploadId=%s", num, eid);
	struct v4_req q = { .method = "PUT", .key = key, .query = query, .sha256 = sha,
	    .fd = p->fd, .off = off, .len = len };
	enum err rc;

	free(eid);
	if (v4_range_digest(p->fd, off, len, sha, md5) == -1) {
		free(query);
		*errstr = "S3 put: reading the body file for a part's digest failed";
		return ERR_SYS;
	}
	line = xasprintf("Content-MD5: %s", md5);
	h = curl_slist_append(h, line);
	free(line);
	q.headers = h;
	v4_perform_retry(s, &q, &r);
	if ((rc = v4_result(s, &r, "put (part)", errstr)) == ERR_OK) {
		if (r.etag[0] == '\0') {
			*errstr = "S3 put: a part's answer had no ETag";
			rc = ERR_BACKEND;
		}
		memcpy(etag, r.etag, 80);
	}
	curl_slist_free_all(h);
	v4_resp_free(&r);
	free(query);
	return rc;
}

/*
 * Multipart upload: initiate (with the object's headers), the parts in
 * order from the body file (memory: one part's digest buffer, and the
 * ETags), complete; abort on any failure so no parts are left billed.
 */
static enum err
v4_put_multipart(struct s3v4 *s, const char *key, const struct store_put *p,
    const char **errstr)
{
	struct curl_slist *h = v4_object_headers(p);
	struct v4_req q = { .method = "POST", .key = key, .query = "uploads", .len = -1 };
	struct v4_resp r = { 0 };
	char upload_id[512] = "", sha[65], (*etags)[80] = NULL, *eid = NULL, *query = NULL;
	char *xml = NULL, *tmp;
	int64_t nparts = (p->length + s->part_size - 1) / s->part_size, i;
	xmlDocPtr doc;
	off_t off, len;
	unsigned char d[32];
	unsigned int dl;
	enum err rc;

	if (nparts > V4_PARTS_MAX) {
		*errstr = "S3 put: more than 10000 parts (raise [s3] part_size)";
		curl_slist_free_all(h);
		return ERR_INTERNAL;
	}
	q.headers = h;
	v4_perform_retry(s, &q, &r);
	curl_slist_free_all(h);
	if ((rc = v4_result(s, &r, "put (initiate multipart)", errstr)) != ERR_OK)
		goto done;
	if ((doc = v4_xml(&r)) != NULL) {
		v4_child_text(xmlDocGetRootElement(doc), "UploadId", upload_id, sizeof(upload_id));
		xmlFreeDoc(doc);
	}
	if (upload_id[0] == '\0') {
		*errstr = "S3 put: initiating the multipart upload gave no UploadId";
		rc = ERR_BACKEND;
		goto done;
	}
	etags = xcalloc((size_t)nparts, sizeof(*etags));
	s->last_parts = (int)nparts;
	for (i = 0, off = 0; i < nparts; i++, off += len) {
		len = p->length - off < s->part_size ? p->length - off : (off_t)s->part_size;
		if ((rc = v4_put_part(s, key, upload_id, (int)i + 1, p, p->offset + off, len,
		    etags[i], errstr)) != ERR_OK)
			goto done;
	}
	xml = xstrdup("<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++) {
		tmp = xasprintf("%s<Part><PartNumber>%" PRId64 "</PartNumber><ETag>%s</ETag></Part>",
		    xml, i + 1, etags[i]);
		free(xml);
		xml = tmp;
	}
	tmp = xasprintf("%s</CompleteMultipartUpload>", xml);
	free(xml);
	xml = tmp;
	EVP_Digest(xml, strlen(xml), d, &dl, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	eid = sigv4_uri_encode(upload_id, 0);
	query = xasprintf("uploadId=%s", eid);
	q = (struct v4_req){ .method = "POST", .key = key, .query = query, .sha256 = sha,
	    .mem = xml, .len = -1 };
	v4_perform_retry(s, &q, &r);
	/* CompleteMultipartUpload may say 200 and put an <Error> in the body. */
	if (r.cc == CURLE_OK && r.status == 200 && r.body != NULL &&
	    strstr(r.body, "<Error>") != NULL) {
		v4_parse_error(&r);
		r.status = 500;
	}
	rc = v4_result(s, &r, "put (complete multipart)", errstr);
done:
	if (rc != ERR_OK && upload_id[0] != '\0') {
		struct v4_resp ar = { 0 };

		free(query);
		free(eid);
		eid = sigv4_uri_encode(upload_id, 0);
		query = xasprintf("uploadId=%s", eid);
		q = (struct v4_req){ .method = "DELETE", .key = key, .query = query, .len = -1 };
		v4_perform(s, &q, &ar);	/* abort: the parts go */
		v4_resp_free(&ar);
		if (v4_may_have_landed(&r))
			v4_undo(s, key);
	}
	v4_resp_free(&r);
	free(etags);
	free(xml);
	free(eid);
	free(query);
	return rc;
}

static enum err
store_s3v4_put(void *h, const char *key, const struct store_put *p, const char **errstr)
{
	struct s3v4 *s = h;
	char sha[65], md5[25];

	if (p->length < 0) {
		*errstr = "S3 put: negative length";
		return ERR_INTERNAL;
	}
	s->last_parts = 0;
	if (p->length > s->threshold)
		return v4_put_multipart(s, key, p, errstr);
	if (p->sha256_hex != NULL && p->sha256_hex[0] != '\0')
		return v4_put_single(s, key, p, p->sha256_hex, errstr);
	/* The caller had no SHA-256 at hand: S3 V4 wants it, so compute it. */
	if (v4_range_digest(p->fd, p->offset, p->length, sha, md5) == -1) {
		*errstr = "S3 put: reading the body file for its SHA-256 failed";
		return ERR_SYS;
	}
	return v4_put_single(s, key, p, sha, errstr);
}

/* ---- head, delete, list, ping ------------------------------------------ */

static enum err
store_s3v4_head(void *h, const char *key, struct store_stat *st, const char **errstr)
{
	struct s3v4 *s = h;
	struct v4_req q = { .method = "HEAD", .key = key, .len = -1 };
	struct v4_resp r = { 0 };
	enum err rc;

	v4_perform_retry(s, &q, &r);
	v4_explain_head(s, key, &r);
	if ((rc = v4_result(s, &r, "head", errstr)) == ERR_OK) {
		st->size = r.size;
		st->mtime = r.mtime;
	}
	v4_resp_free(&r);
	return rc;
}

static enum err
store_s3v4_del(void *h, const char *key, const char **errstr)
{
	struct s3v4 *s = h;
	struct v4_req q = { .method = "DELETE", .key = key, .len = -1 };
	struct v4_resp r = { 0 };
	enum err rc;

	v4_perform_retry(s, &q, &r);
	rc = v4_result(s, &r, "delete", errstr);
	v4_resp_free(&r);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;	/* idempotent */
}

/* "2026-12-03T09:25:57.839Z" as seconds since the epoch (0 if unparsable). */
static time_t
v4_iso_time(const char *t)
{
	struct tm tm = { 0 };

	if (strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* Deliver one ListObjectsV2 page; *more and token say where the next starts. */
static int
v4_list_page(const struct v4_resp *r, store_list_cb cb, void *arg, int *more, char *token,
    size_t tokenlen, int *got)
{
	xmlDocPtr doc = v4_xml(r);
	xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL, n;
	char key[1100], size[32], mtime[64], trunc[8];
	int stopped = 0;

	if (root == NULL || strcmp((const char *)root->name, "ListBucketResult") != 0) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		return -1;
	}
	for (n = root->children; n != NULL && !stopped; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Contents") != 0)
			continue;
		v4_child_text(n, "Key", key, sizeof(key));
		v4_child_text(n, "Size", size, sizeof(size));
		v4_child_text(n, "LastModified", mtime, sizeof(mtime));
		(*got)++;
		stopped = cb(arg, key, strtoll(size, NULL, 10), v4_iso_time(mtime)) != 0;
	}
	v4_child_text(root, "IsTruncated", trunc, sizeof(trunc));
	v4_child_text(root, "NextContinuationToken", token, tokenlen);
	*more = !stopped && strcmp(trunc, "true") == 0;
	xmlFreeDoc(doc);
	return stopped;
}

static enum err
store_s3v4_list(void *h, const char *prefix, store_list_cb cb, void *arg, const char **errstr)
{
	struct s3v4 *s = h;
	struct v4_resp r = { 0 };
	char token[1024] = "", *ep = sigv4_uri_encode(prefix, 0), *et, *query;
	struct v4_req q = { .method = "GET", .len = -1 };
	enum err rc = ERR_OK;
	int more = 1, got, before, stop;

	s->list_pages = 0;
	for (got = 0; more; ) {
		et = sigv4_uri_encode(token, 0);
		query = xasprintf("list-type=2&max-keys=%d&prefix=%s%s%s", s->list_page, ep,
		    token[0] != '\0' ? "&continuation-token=" : "", et);
		free(et);
		q.query = query;
		v4_perform_retry(s, &q, &r);
		free(query);
		s->list_pages++;
		if ((rc = v4_result(s, &r, "list", errstr)) != ERR_OK)
			break;
		before = got;
		if ((stop = v4_list_page(&r, cb, arg, &more, token, sizeof(token), &got)) == -1) {
			*errstr = "S3 list: the answer is not a ListBucketResult";
			rc = ERR_BACKEND;
			break;
		}
		if (stop)
			break;
		if (more && (got == before || token[0] == '\0')) {
			*errstr = "S3 list: a truncated page without keys or continuation token";
			rc = ERR_BACKEND;
			break;
		}
	}
	v4_resp_free(&r);
	free(ep);
	return rc;
}

/*
 * Readiness: list at most one key under a prefix that never holds any.
 * 200 proves that the peer answers, the bucket exists and the credentials
 * sign correctly, and a refusal carries S3's error code for the log (a
 * HEAD's would not).  It needs s3:ListBucket, which the reconciler needs
 * anyway.  No retries: readiness reports now, the prober asks again.
 */
static enum err
store_s3v4_ping(void *h, const char **errstr)
{
	struct s3v4 *s = h;
	struct v4_req q = { .method = "GET", .query = "list-type=2&max-keys=1&prefix="
	    V4_PING_KEY, .len = -1 };
	struct v4_resp r = { 0 };
	enum err rc;

	v4_perform(s, &q, &r);
	rc = v4_result(s, &r, "ping", errstr);
	v4_resp_free(&r);
	return rc;
}

/* ---- presign ----------------------------------------------------------- */

static enum err
store_s3v4_presign(void *h, const char *key, int64_t expires_epoch,
    const struct store_presign *o, char *url, size_t urllen, const char **errstr)
{
	struct s3v4 *s = h;
	const char *cd = o != NULL ? o->content_disposition : NULL;
	const char *ct = o != NULL ? o->content_type : NULL;
	struct sigv4_cred c = { s->akid, s->secret, s->region, "s3" };
	struct sigv4_presign p = { .scheme = s->tls ? "https" : "http", .session_token = s->token };
	char *ekey, *ecd = NULL, *ect = NULL, *extra, *host, *path, *u, *colon;
	time_t now = time(NULL);
	enum err rc = ERR_OK;

	if ((cd != NULL && !store_s3_printable(cd)) || (ct != NULL && !store_s3_printable(ct))) {
		*errstr = "S3 presign: Content-Type and Content-Disposition must be printable ASCII";
		return ERR_INTERNAL;
	}
	if (expires_epoch - (int64_t)now > SIGV4_PRESIGN_MAX) {
		*errstr = "S3 presign: Signature V4 links last at most 7 days";
		return ERR_INTERNAL;
	}
	/* Valid until expires_epoch: signed now for the time left, or, for a
	 * moment already past, signed one second before it. */
	p.now = expires_epoch > (int64_t)now ? now : (time_t)(expires_epoch - 1);
	p.expires_in = expires_epoch > (int64_t)now ? expires_epoch - (int64_t)now : 1;
	if (cd != NULL)
		ecd = sigv4_uri_encode(cd, 0);
	if (ct != NULL)
		ect = sigv4_uri_encode(ct, 0);
	extra = xasprintf("%s%s%s%s%s", cd != NULL ? "response-content-disposition=" : "",
	    cd != NULL ? ecd : "", cd != NULL && ct != NULL ? "&" : "",
	    ct != NULL ? "response-content-type=" : "", ct != NULL ? ect : "");
	ekey = sigv4_uri_encode(key, 1);
	/* The Host a browser sends leaves out the scheme's default port. */
	host = s->virtual_host ? xasprintf("%s.%s", s->bucket, s->host) : xstrdup(s->host);
	if ((colon = strrchr(host, ':')) != NULL &&
	    strcmp(colon + 1, s->tls ? "443" : "80") == 0)
		*colon = '\0';
	path = s->virtual_host ? xasprintf("/%s", ekey) : xasprintf("/%s/%s", s->bucket, ekey);
	p.host = host;
	p.path = path;
	p.extra_query = extra;
	if ((u = sigv4_presign_url(&c, &p)) == NULL) {
		*errstr = "S3 presign: signing failed";
		rc = ERR_INTERNAL;
	} else if (strlen(u) + 1 > urllen) {
		*errstr = "S3 presign: URL buffer too small";
		rc = ERR_INTERNAL;
	} else {
		memcpy(url, u, strlen(u) + 1);
	}
	free(u);
	free(ecd);
	free(ect);
	free(extra);
	free(ekey);
	free(host);
	free(path);
	return rc;
}

/* ---- knobs ------------------------------------------------------------- */

void
store_s3v4_set_list_page(void *h, int maxkeys)
{
	((struct s3v4 *)h)->list_page = maxkeys < 1 ? 1 : maxkeys > 1000 ? 1000 : maxkeys;
}

int
store_s3v4_list_pages(void *h)
{
	return ((struct s3v4 *)h)->list_pages;
}

int
store_s3v4_last_parts(void *h)
{
	return ((struct s3v4 *)h)->last_parts;
}

const char *
store_s3v4_last_authorization(void *h)
{
	return ((struct s3v4 *)h)->last_authz;
}

const char *
store_s3v4_last_amz_date(void *h)
{
	return ((struct s3v4 *)h)->last_date;
}

const struct store_backend store_s3v4_backend = {
	.name = "s3",
	.wants_md5 = 1,
	.open = store_s3v4_open,
	.close = store_s3v4_close,
	.put = store_s3v4_put,
	.head = store_s3v4_head,
	.del = store_s3v4_del,
	.list = store_s3v4_list,
	.ping = store_s3v4_ping,
	.presign = store_s3v4_presign,
};
