/* store_s3.c - objects in an S3 bucket through libs3 2.0 (AWS Signature V2). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <libs3.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "store/store.h"
#include "store/store_s3.h"
#include "base/xmalloc.h"

/* libs3 keeps this pointer (it does not copy it) until S3_deinitialize. */
#define STORE_S3_USER_AGENT	"coffer/" PACKAGE_VERSION
/* A key that never holds an object: ping HEADs it. */
#define STORE_S3_PING_KEY	".coffer-readiness"
/* Metadata values are sent as headers; libs3 caps them all at 2 KiB. */
#define STORE_S3_NAME_MAX	1024
#define STORE_S3_TRIES		4	/* the first try and 3 retries */

/* Backoff before retry n (ms): 100, 400, 1600. */
static const int store_s3_backoff_ms[STORE_S3_TRIES - 1] = { 100, 400, 1600 };

struct store_s3 {
	S3BucketContext	 bc;
	char		*host;		/* every string in bc points here */
	char		*bucket;
	char		*akid;
	char		*secret;
	int64_t		 timeout_ms;	/* abort a request after this long without progress */
	int		 list_page;
	int		 list_pages;
	char		 errbuf[320];	/* *errstr points here */
};

/* One request's state, shared with libs3's callbacks. */
struct store_s3_call {
	struct store_s3	*s;
	int		 done;
	int		 timed_out;
	S3Status	 status;
	int64_t		 progress_ms;	/* last sign of life from the peer */
	char		 detail[160];	/* the peer's error message */
	/* put: the byte range still to send */
	int		 fd;
	off_t		 off;
	off_t		 left;
	int		 read_errno;
	char		 etag[80];	/* as the peer sent it, quotes included */
	/* head */
	int64_t		 size;
	int64_t		 mtime;
	/* list */
	store_list_cb	 cb;
	void		*arg;
	int		 stopped;
	int		 truncated;
	int		 got;
	char		 marker[S3_MAX_KEY_SIZE + 1];	/* last key delivered */
};

static int64_t
store_s3_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
store_s3_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- libs3 callbacks --------------------------------------------------- */

static S3Status
store_s3_on_props(const S3ResponseProperties *p, void *data)
{
	struct store_s3_call *c = data;

	c->progress_ms = store_s3_now_ms();
	c->size = (int64_t)p->contentLength;
	c->mtime = p->lastModified;
	snprintf(c->etag, sizeof(c->etag), "%s", p->eTag != NULL ? p->eTag : "");
	return S3StatusOK;
}

static void
store_s3_on_done(S3Status status, const S3ErrorDetails *e, void *data)
{
	struct store_s3_call *c = data;

	c->done = 1;
	c->status = status;
	c->detail[0] = '\0';
	if (e != NULL && e->message != NULL)
		snprintf(c->detail, sizeof(c->detail), "%s", e->message);
}

/* Feed the put from the body file, straight into libcurl's upload buffer:
 * memory stays the same whatever the object's size. */
static int
store_s3_on_put_data(int bufsize, char *buf, void *data)
{
	struct store_s3_call *c = data;
	size_t want;
	ssize_t n;

	c->progress_ms = store_s3_now_ms();
	if (c->left <= 0)
		return 0;
	want = c->left < bufsize ? (size_t)c->left : (size_t)bufsize;
	do
		n = pread(c->fd, buf, want, c->off);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		c->read_errno = n == 0 ? EIO : errno;	/* 0: file shorter than announced */
		return -1;
	}
	c->off += n;
	c->left -= n;
	return (int)n;
}

static S3Status
store_s3_on_list(int truncated, const char *next_marker, int n,
    const S3ListBucketContent *contents, int nprefixes, const char **prefixes, void *data)
{
	struct store_s3_call *c = data;
	int i;

	(void)next_marker;	/* only sent with a delimiter; the last key serves */
	(void)nprefixes;
	(void)prefixes;
	c->progress_ms = store_s3_now_ms();
	c->truncated = truncated;
	for (i = 0; i < n; i++) {
		c->got++;
		snprintf(c->marker, sizeof(c->marker), "%s", contents[i].key);
		if (c->cb(c->arg, contents[i].key, (int64_t)contents[i].size,
		    (time_t)contents[i].lastModified) != 0) {
			c->stopped = 1;
			return S3StatusAbortedByCallback;
		}
	}
	return S3StatusOK;
}

/* ---- running one request with a stall timeout -------------------------- */

enum store_s3_op { OP_PUT, OP_HEAD, OP_DEL, OP_LIST };

struct store_s3_req {
	enum store_s3_op	 op;
	const char		*key;		/* or the list prefix */
	const S3PutProperties	*props;
	uint64_t		 length;
};

/*
 * libs3 2.0 has no timeout of its own (it sets only a low-speed limit of
 * 1 KiB/s over 15 s, and no connect timeout, so a silent peer holds a
 * synchronous request for curl's 300 s default).  So every request goes
 * through a request context driven here, and one that shows no progress
 * for timeout_ms is aborted by destroying the context (libs3 then
 * completes it with S3StatusInterrupted).
 */
static void
store_s3_perform(struct store_s3_call *c, const struct store_s3_req *r)
{
	/* One initialiser for the three (C wants constants here, not `= rh`). */
#define STORE_S3_RH { .propertiesCallback = store_s3_on_props, \
	    .completeCallback = store_s3_on_done }
	static const S3ResponseHandler rh = STORE_S3_RH;
	static const S3PutObjectHandler ph = {
		.responseHandler = STORE_S3_RH,
		.putObjectDataCallback = store_s3_on_put_data,
	};
	static const S3ListBucketHandler lh = {
		.responseHandler = STORE_S3_RH,
		.listBucketCallback = store_s3_on_list,
	};
#undef STORE_S3_RH
	struct store_s3 *s = c->s;
	S3RequestContext *rc;
	fd_set rd, wr, ex;
	struct timeval tv;
	int64_t wait;
	int remaining, maxfd;

	c->done = c->timed_out = 0;
	c->status = S3StatusInternalError;
	c->detail[0] = '\0';
	if (S3_create_request_context(&rc) != S3StatusOK) {
		c->status = S3StatusOutOfMemory;
		return;
	}
	c->progress_ms = store_s3_now_ms();
	switch (r->op) {
	case OP_PUT:
		S3_put_object(&s->bc, r->key, r->length, r->props, rc, &ph, c);
		break;
	case OP_HEAD:
		S3_head_object(&s->bc, r->key, rc, &rh, c);
		break;
	case OP_DEL:
		S3_delete_object(&s->bc, r->key, rc, &rh, c);
		break;
	case OP_LIST:
		S3_list_bucket(&s->bc, r->key, c->marker[0] != '\0' ? c->marker : NULL,
		    NULL, s->list_page, rc, &lh, c);
		break;
	}
	while (!c->done) {
		if (S3_runonce_request_context(rc, &remaining) != S3StatusOK ||
		    remaining == 0 || c->done)
			break;
		if (store_s3_now_ms() - c->progress_ms >= s->timeout_ms) {
			c->timed_out = 1;
			break;
		}
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		if (S3_get_request_context_fdsets(rc, &rd, &wr, &ex, &maxfd) != S3StatusOK)
			break;
		/* Wake up at least every 100 ms to look at the stall clock; with
		 * no socket yet (resolving), poll briefly instead of blocking. */
		wait = S3_get_request_context_timeout(rc);
		if (wait < 0 || wait > 100)
			wait = 100;
		if (maxfd == -1 && wait > 10)
			wait = 10;
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)wait * 1000;
		if (select(maxfd + 1, &rd, &wr, &ex, &tv) == -1 && errno != EINTR)
			break;
	}
	/* Finishes a request still running with S3StatusInterrupted. */
	S3_destroy_request_context(rc);
	if (!c->done)
		c->status = S3StatusInternalError;
}

/* Transient: the peer or the path to it may do better shortly. */
static int
store_s3_retryable(const struct store_s3_call *c)
{
	if (c->timed_out)
		return 0;	/* it already waited timeout_ms */
	switch (c->status) {
	case S3StatusErrorSlowDown:		/* 503 SlowDown */
	case S3StatusErrorInternalError:	/* 500 */
	case S3StatusErrorUnknown:		/* e.g. 503 ServiceUnavailable */
	case S3StatusHttpErrorUnknown:		/* a 5xx without an error body */
		return 1;
	default:
		return S3_status_is_retryable(c->status);
	}
}

/* Perform r, retrying transient failures with backoff. */
static void
store_s3_perform_retry(struct store_s3_call *c, const struct store_s3_req *r,
    off_t put_off, off_t put_len)
{
	int try;

	for (try = 0; ; try++) {
		c->off = put_off;
		c->left = put_len;
		store_s3_perform(c, r);
		if (c->status == S3StatusOK || try == STORE_S3_TRIES - 1 ||
		    !store_s3_retryable(c))
			return;
		log_debug("S3 %s: %s, retrying in %d ms", r->key,
		    S3_get_status_name(c->status), store_s3_backoff_ms[try]);
		store_s3_sleep_ms(store_s3_backoff_ms[try]);
	}
}

/* Turn the outcome of c into the interface's error and a message for the log. */
static enum err
store_s3_result(struct store_s3_call *c, const char *what, const char **errstr)
{
	struct store_s3 *s = c->s;
	enum err rc;

	if (c->timed_out) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: no progress for %" PRId64
		    " ms (%s)", what, s->timeout_ms, s->host);
		*errstr = s->errbuf;
		return ERR_BACKEND;
	}
	switch (c->status) {
	case S3StatusOK:
		return ERR_OK;
	case S3StatusErrorNoSuchKey:
	case S3StatusHttpErrorNotFound:
		rc = ERR_NOTFOUND;
		break;
	case S3StatusOutOfMemory:
		rc = ERR_NOMEM;
		break;
	case S3StatusAbortedByCallback:	/* only the body reader aborts */
		errno = c->read_errno;
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: reading the body file: %s",
		    what, strerror(c->read_errno));
		*errstr = s->errbuf;
		return ERR_SYS;
	case S3StatusErrorBadDigest:
	case S3StatusErrorInvalidDigest:
	case S3StatusBadMD5:
	case S3StatusMD5TooLong:
		/* The bytes sent are not the bytes digested: not the peer's fault. */
		rc = ERR_INTERNAL;
		break;
	default:
		/* Our own request could not be formed: a bug or bad configuration. */
		if ((c->status >= S3StatusInvalidBucketNameTooLong &&
		    c->status <= S3StatusHeadersTooLong) ||
		    c->status == S3StatusKeyTooLong || c->status == S3StatusUriTooLong)
			rc = ERR_INTERNAL;
		else	/* unreachable, refused, 5xx, denied: the backend */
			rc = ERR_BACKEND;
		break;
	}
	snprintf(s->errbuf, sizeof(s->errbuf), "S3 %s: %s%s%s (%s)", what,
	    S3_get_status_name(c->status), c->detail[0] != '\0' ? ": " : "",
	    c->detail, s->host);
	*errstr = s->errbuf;
	return rc;
}

/* ---- the interface ----------------------------------------------------- */

/* Byte c percent-encoded into out (room for 3), or as it is when RFC 3986
 * unreserved ('/' too with keep_slash).  Returns the bytes written. */
static size_t
store_s3_pct_byte(unsigned char c, int keep_slash, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '%';
	out[1] = hex[c >> 4];
	out[2] = hex[c & 15];
	return 3;
}

/*
 * Per worker, after fork: S3_initialize starts libcurl (curl_global_init),
 * which must never run in the master.  Each open() pairs with one
 * S3_deinitialize() in close(); libs3 counts them.
 */
static void *
store_s3_open(const struct conf *conf, const char **errstr)
{
	struct store_s3 *s;
	S3UriStyle style = conf->s3_virtual_host ? S3UriStyleVirtualHost : S3UriStylePath;
	S3Status st;

	if (conf->s3_endpoint[0] == '\0' || strlen(conf->s3_endpoint) > S3_MAX_HOSTNAME_SIZE) {
		*errstr = "[s3] endpoint is empty or longer than 255 bytes";
		return NULL;
	}
	if (S3_validate_bucket_name(conf->s3_bucket, style) != S3StatusOK) {
		*errstr = "[s3] bucket is not a valid bucket name for this [s3] style";
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->host = xstrdup(conf->s3_endpoint);
	s->bucket = xstrdup(conf->s3_bucket);
	s->akid = xstrdup(conf->s3_access_key_id);
	s->secret = xstrdup(conf->s3_secret_access_key);
	s->timeout_ms = conf->s3_timeout_ms > 0 ? conf->s3_timeout_ms : 15000;
	s->list_page = 1000;
	if ((st = S3_initialize(STORE_S3_USER_AGENT, S3_INIT_ALL, s->host)) != S3StatusOK) {
		log_warnx("S3_initialize: %s", S3_get_status_name(st));
		*errstr = "S3_initialize failed";
		free(s->host);
		free(s->bucket);
		free(s->akid);
		free(s->secret);
		free(s);
		return NULL;
	}
	s->bc.hostName = s->host;
	s->bc.bucketName = s->bucket;
	s->bc.protocol = conf->s3_tls ? S3ProtocolHTTPS : S3ProtocolHTTP;
	s->bc.uriStyle = style;
	s->bc.accessKeyId = s->akid;
	s->bc.secretAccessKey = s->secret;
	return s;
}

static void
store_s3_close(void *h)
{
	struct store_s3 *s = h;

	if (s == NULL)
		return;
	S3_deinitialize();
	explicit_bzero(s->secret, strlen(s->secret));
	free(s->host);
	free(s->bucket);
	free(s->akid);
	free(s->secret);
	free(s);
}

/*
 * The original name travels as x-amz-meta-original-name, percent-encoded
 * UTF-8 (RFC 3986: every byte outside the unreserved set becomes %XX), so
 * quotes, newlines and non-ASCII cannot break the header.  Decoding gives
 * the name back byte for byte; a name too long for S3's 2 KiB metadata
 * budget is cut at a character boundary.
 */
void
store_s3_meta_encode(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, need, k, clen;
	char scratch[3];

	for (; *p != '\0'; p += clen) {
		/* One whole UTF-8 sequence (or one stray byte) at a time. */
		clen = 1;
		if (*p >= 0xc0)
			while (clen < 4 && (p[clen] & 0xc0) == 0x80)
				clen++;
		for (need = 0, k = 0; k < clen; k++)
			need += store_s3_pct_byte(p[k], 0, scratch);
		if (o + need + 1 > outlen)
			break;
		for (k = 0; k < clen; k++)
			o += store_s3_pct_byte(p[k], 0, out + o);
	}
	out[o] = '\0';
}

/*
 * Whether the peer stored other bytes than the ones digested.  AWS refuses
 * a body that does not match Content-MD5 (BadDigest), but not every peer
 * checks it (s3rver does not), so the object's ETag, which for a
 * single-part PUT is the MD5 of what was stored, is compared too.  An ETag
 * that is not 32 hex digits (an encrypting peer's) says nothing and passes.
 */
int
store_s3_etag_mismatch(const char *etag, const char *md5_base64)
{
	unsigned char raw[32];
	char hex[33];
	size_t n = strlen(etag);
	int i;

	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	if (n != 32 || strspn(etag, "0123456789abcdefABCDEF") < 32 ||
	    md5_base64 == NULL || strlen(md5_base64) != 24 ||
	    EVP_DecodeBlock(raw, (const unsigned char *)md5_base64, 24) != 18)
		return 0;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return strncasecmp(etag, hex, 32) != 0;
}

static enum err
store_s3_put(void *h, const char *key, const struct store_put *p, const char **errstr)
{
	struct store_s3 *s = h;
	struct store_s3_call c = { .s = s, .fd = p->fd };
	char name[STORE_S3_NAME_MAX];
	S3NameValue meta[1];
	S3PutProperties props = {
		.contentType = p->content_type,
		.md5 = p->md5_base64,
		/* Tenants' files: no shared cache may keep a copy. */
		.cacheControl = "private",
		.expires = -1,
		.cannedAcl = S3CannedAclPrivate,
		.metaData = meta,
	};
	struct store_s3_req r = { .op = OP_PUT, .key = key, .props = &props,
	    .length = (uint64_t)p->length };
	struct store_s3_call undo = { .s = s };
	struct store_s3_req del = { .op = OP_DEL, .key = key };
	struct store_s3_req hr = { .op = OP_HEAD, .key = key };
	enum err rc;

	if (p->length < 0) {
		*errstr = "S3 put: negative length";
		return ERR_INTERNAL;
	}
	if (p->original_name != NULL && p->original_name[0] != '\0') {
		store_s3_meta_encode(p->original_name, name, sizeof(name));
		meta[props.metaDataCount++] = (S3NameValue){ "original-name", name };
	}

	store_s3_perform_retry(&c, &r, p->offset, p->length);
	if ((rc = store_s3_result(&c, "put", errstr)) != ERR_OK)
		goto fail;
	/* Verify what landed.  libs3 2.0 never reports a PUT's response
	 * headers (it settles them at the first upload callback, before the
	 * answer), so the ETag comes from a HEAD. */
	store_s3_perform_retry(&c, &hr, 0, 0);
	if ((rc = store_s3_result(&c, "put (verifying)", errstr)) != ERR_OK)
		goto fail;
	if (c.size != (int64_t)p->length || store_s3_etag_mismatch(c.etag, p->md5_base64)) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 put: the stored object (%" PRId64
		    " bytes, ETag %s) is not the body (%" PRId64 " bytes, MD5 %s) (%s)",
		    c.size, c.etag, (int64_t)p->length, p->md5_base64 ? p->md5_base64 : "-",
		    s->host);
		*errstr = s->errbuf;
		rc = ERR_INTERNAL;
		goto fail;
	}
	return ERR_OK;
fail:
	/* A PUT is atomic, but one whose answer was lost (a timeout after the
	 * last byte) may have landed: remove it so that a failure leaves
	 * nothing.  Keys are fresh UUIDs, so this never removes another
	 * upload's object.  Best effort: the reconciler catches the rest. */
	if (c.status == S3StatusNameLookupError || c.status == S3StatusFailedToConnect)
		return rc;	/* never reached the peer: nothing can have landed */
	store_s3_perform(&undo, &del);
	if (undo.status != S3StatusOK && undo.status != S3StatusErrorNoSuchKey &&
	    undo.status != S3StatusHttpErrorNotFound)
		log_warnx("S3 put of %s failed and removing it failed too: %s", key,
		    S3_get_status_name(undo.status));
	return rc;
}

static enum err
store_s3_head(void *h, const char *key, struct store_stat *st, const char **errstr)
{
	struct store_s3_call c = { .s = h };
	struct store_s3_req r = { .op = OP_HEAD, .key = key };
	enum err rc;

	store_s3_perform_retry(&c, &r, 0, 0);
	if ((rc = store_s3_result(&c, "head", errstr)) != ERR_OK)
		return rc;
	st->size = c.size;
	st->mtime = (time_t)c.mtime;
	return ERR_OK;
}

static enum err
store_s3_del(void *h, const char *key, const char **errstr)
{
	struct store_s3_call c = { .s = h };
	struct store_s3_req r = { .op = OP_DEL, .key = key };
	enum err rc;

	store_s3_perform_retry(&c, &r, 0, 0);
	rc = store_s3_result(&c, "delete", errstr);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;	/* idempotent */
}

/* Page through the bucket by marker; S3 lists keys in byte order, so the
 * last key delivered is where the next page starts, and a page retried
 * after a failure halfway never delivers a key twice. */
static enum err
store_s3_list(void *h, const char *prefix, store_list_cb cb, void *arg, const char **errstr)
{
	struct store_s3 *s = h;
	struct store_s3_call c = { .s = s, .cb = cb, .arg = arg };
	struct store_s3_req r = { .op = OP_LIST, .key = prefix };
	enum err rc;
	int before;

	s->list_pages = 0;
	for (;;) {
		before = c.got;
		c.truncated = 0;
		store_s3_perform_retry(&c, &r, 0, 0);
		s->list_pages++;
		if (c.stopped)
			return ERR_OK;
		if ((rc = store_s3_result(&c, "list", errstr)) != ERR_OK)
			return rc;
		if (!c.truncated)
			return ERR_OK;
		if (c.got == before) {
			*errstr = "S3 list: a truncated page without keys";
			return ERR_BACKEND;
		}
	}
}

/*
 * Readiness: HEAD of a key that never exists.  404 proves that the peer
 * answers, the bucket exists and the credentials sign correctly (a bad
 * key or secret is 403).  It needs s3:ListBucket, without which S3 says
 * 403 for a missing key; the reconciler needs that permission anyway.
 * No retries: readiness reports now, the prober asks again.
 */
static enum err
store_s3_ping(void *h, const char **errstr)
{
	struct store_s3_call c = { .s = h };
	struct store_s3_req r = { .op = OP_HEAD, .key = STORE_S3_PING_KEY };
	enum err rc;

	store_s3_perform(&c, &r);
	rc = store_s3_result(&c, "ping", errstr);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

/* Percent-encode for a URL: RFC 3986 unreserved bytes stay, and '/' too
 * when keep_slash.  Returns -1 if out is too small. */
static int
store_s3_url_encode(const char *in, int keep_slash, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t o = 0;

	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (o + 4 > outlen)
			return -1;
		o += store_s3_pct_byte(*p, keep_slash, out + o);
	}
	out[o] = '\0';
	return 0;
}

/*
 * A Signature V2 query-string URL with response-content-disposition and/or
 * response-content-type overrides.  libs3's S3_generate_authenticated_query_string
 * cannot carry them: it puts its `resource` argument verbatim both into the
 * string it signs and into the URL, but S3 signs the decoded value while the
 * URL needs it percent-encoded, so any value with a space, '%', '/' or quote
 * fails.  This is the same algorithm (HMAC-SHA1 over "GET\n\n\n<expires>\n
 * /<bucket>/<key>?<overrides>", the overrides sorted by name and joined
 * with '&') with the values raw where they are signed and encoded where
 * they are sent.
 */
static enum err
store_s3_presign_overrides(struct store_s3 *s, const char *key, int64_t expires,
    const char *cd, const char *ct, char *url, size_t urllen, const char **errstr)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char ekey[S3_MAX_KEY_SIZE * 3 + 1], ecd[2048 * 3 + 1], ect[256 * 3 + 1], eakid[256];
	char sig[64], esig[3 * 64 + 1];
	char *tosign;
	int n;

	if (store_s3_url_encode(key, 1, ekey, sizeof(ekey)) == -1 ||
	    (cd != NULL && store_s3_url_encode(cd, 0, ecd, sizeof(ecd)) == -1) ||
	    (ct != NULL && store_s3_url_encode(ct, 0, ect, sizeof(ect)) == -1) ||
	    store_s3_url_encode(s->akid, 0, eakid, sizeof(eakid)) == -1) {
		*errstr = "S3 presign: key, access key, Content-Type or Content-Disposition too long";
		return ERR_INTERNAL;
	}
	/* Sub-resources in the string to sign are sorted by name:
	 * response-content-disposition < response-content-type. */
	tosign = xasprintf("GET\n\n\n%" PRId64 "\n/%s/%s?%s%s%s%s%s", expires, s->bucket, ekey,
	    cd != NULL ? "response-content-disposition=" : "", cd != NULL ? cd : "",
	    cd != NULL && ct != NULL ? "&" : "",
	    ct != NULL ? "response-content-type=" : "", ct != NULL ? ct : "");
	if (HMAC(EVP_sha1(), s->secret, (int)strlen(s->secret), (unsigned char *)tosign,
	    strlen(tosign), mac, &maclen) == NULL) {
		free(tosign);
		*errstr = "S3 presign: HMAC-SHA1 failed";
		return ERR_INTERNAL;
	}
	free(tosign);
	EVP_EncodeBlock((unsigned char *)sig, mac, (int)maclen);
	if (store_s3_url_encode(sig, 0, esig, sizeof(esig)) == -1) {
		*errstr = "S3 presign: signature too long";
		return ERR_INTERNAL;
	}
	/* The canonical resource is /bucket/key in both styles; only the
	 * URL differs. */
	if (s->bc.uriStyle == S3UriStyleVirtualHost)
		n = snprintf(url, urllen, "%s://%s.%s/%s", s->bc.protocol == S3ProtocolHTTPS ?
		    "https" : "http", s->bucket, s->host, ekey);
	else
		n = snprintf(url, urllen, "%s://%s/%s/%s", s->bc.protocol == S3ProtocolHTTPS ?
		    "https" : "http", s->host, s->bucket, ekey);
	if (n >= 0 && (size_t)n < urllen)
		n += snprintf(url + n, urllen - (size_t)n,
		    "?AWSAccessKeyId=%s&Expires=%" PRId64 "&Signature=%s%s%s%s%s",
		    eakid, expires, esig,
		    cd != NULL ? "&response-content-disposition=" : "", cd != NULL ? ecd : "",
		    ct != NULL ? "&response-content-type=" : "", ct != NULL ? ect : "");
	if (n < 0 || (size_t)n >= urllen) {
		*errstr = "S3 presign: URL buffer too small";
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

/* Printable ASCII only: a value goes into a header of the peer's answer. */
int
store_s3_printable(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

static enum err
store_s3_presign(void *h, const char *key, int64_t expires_epoch,
    const struct store_presign *o, char *url, size_t urllen, const char **errstr)
{
	struct store_s3 *s = h;
	char buf[S3_MAX_AUTHENTICATED_QUERY_STRING_SIZE];
	const char *cd = o != NULL ? o->content_disposition : NULL;
	const char *ct = o != NULL ? o->content_type : NULL;
	S3Status st;

	/* V2 carries Expires as a 32-bit time_t on S3's side. */
	if (expires_epoch <= 0 || expires_epoch > INT32_MAX) {
		*errstr = "S3 presign: expiry out of range";
		return ERR_INTERNAL;
	}
	if ((cd != NULL && !store_s3_printable(cd)) || (ct != NULL && !store_s3_printable(ct))) {
		*errstr = "S3 presign: Content-Type and Content-Disposition must be printable ASCII";
		return ERR_INTERNAL;
	}
	if (cd != NULL || ct != NULL)
		return store_s3_presign_overrides(s, key, expires_epoch, cd, ct, url, urllen,
		    errstr);
	/* libs3 2.0 takes `expires` as absolute seconds since the epoch (it
	 * signs and sends that number as is). */
	if ((st = S3_generate_authenticated_query_string(buf, &s->bc, key, expires_epoch,
	    NULL)) != S3StatusOK) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 presign: %s", S3_get_status_name(st));
		*errstr = s->errbuf;
		return ERR_INTERNAL;
	}
	if (strlen(buf) + 1 > urllen) {
		*errstr = "S3 presign: URL buffer too small";
		return ERR_INTERNAL;
	}
	memcpy(url, buf, strlen(buf) + 1);
	return ERR_OK;
}

void
store_s3_set_list_page(void *h, int maxkeys)
{
	struct store_s3 *s = h;

	s->list_page = maxkeys < 1 ? 1 : maxkeys > 1000 ? 1000 : maxkeys;
}

int
store_s3_list_pages(void *h)
{
	return ((struct store_s3 *)h)->list_pages;
}

const struct store_backend store_s3_backend = {
	.name = "s3",
	.wants_md5 = 1,
	.open = store_s3_open,
	.close = store_s3_close,
	.put = store_s3_put,
	.head = store_s3_head,
	.del = store_s3_del,
	.list = store_s3_list,
	.ping = store_s3_ping,
	.presign = store_s3_presign,
};
