/* store_s3v4.c - objects in an S3 bucket through libcurl, signed with AWS Signature V4. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "store/s3multi.h"
#include "store/s3req.h"
#include "store/sigv4.h"
#include "store/store.h"
#include "store/store_s3.h"
#include "store/store_s3v4.h"

/*
 * The operations of the interface on top of s3req.c, which sends one
 * request (libcurl signs it; libcurl 7.88's limits are handled there) and
 * turns S3's answer into an error with what to fix.  Presigned URLs come
 * from sigv4.c.
 */

#define V4_PING_KEY	".coffer-readiness"

/* ---- open, close ------------------------------------------------------- */

static void
v4_free(struct s3req *s)
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
	struct s3req *s;

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

/*
 * Whether a failed upload may still have left an object: when S3's answer
 * was lost after the request reached it, or when it answered 2xx and the
 * bytes proved wrong.  An error answer means nothing was stored, and a
 * request that never connected cannot have stored anything.
 */
static int
v4_may_have_landed(const struct s3req_out *r)
{
	if (r->cc == CURLE_OK)
		return r->status >= 200 && r->status < 300;
	return r->cc != CURLE_COULDNT_CONNECT && r->cc != CURLE_COULDNT_RESOLVE_HOST &&
	    r->read_errno == 0;
}

/* Remove key after a failed put (a PUT whose answer was lost may have
 * landed).  Keys are fresh UUIDs; best effort, the reconciler does the rest. */
static void
v4_undo(struct s3req *s, const char *key)
{
	struct s3req_in d = { .method = "DELETE", .key = key, .len = -1 };
	struct s3req_out r = { 0 };

	s3req_perform(s, &d, &r);
	if (r.cc != CURLE_OK || (r.status >= 300 && r.status != 404))
		log_warnx("S3 put of %s failed and removing it failed too: %s, HTTP %ld %s", key,
		    curl_easy_strerror(r.cc), r.status, r.code);
	s3req_out_free(&r);
}

static enum err
v4_put_single(struct s3req *s, const char *key, const struct store_put *p, const char *sha,
    const char **errstr)
{
	struct curl_slist *h = s3req_object_headers(p);
	struct s3req_in q = { .method = "PUT", .key = key, .sha256 = sha, .fd = p->fd,
	    .off = p->offset, .len = p->length };
	struct s3req_out r = { 0 };
	char *line;
	enum err rc;

	if (p->md5_base64 != NULL && p->md5_base64[0] != '\0') {
		line = xasprintf("Content-MD5: %s", p->md5_base64);
		h = curl_slist_append(h, line);
		free(line);
	}
	q.headers = h;
	s3req_perform_retry(s, &q, &r);
	if ((rc = s3req_result(s, &r, "put", errstr)) == ERR_OK &&
	    store_s3_etag_mismatch(r.etag, p->md5_base64)) {
		snprintf(s->errbuf, sizeof(s->errbuf), "S3 put: the stored object (ETag %s) is "
		    "not the body (MD5 %s) (%s)", r.etag, p->md5_base64, s->host);
		*errstr = s->errbuf;
		rc = ERR_INTERNAL;
	}
	if (rc != ERR_OK && v4_may_have_landed(&r))
		v4_undo(s, key);
	curl_slist_free_all(h);
	s3req_out_free(&r);
	return rc;
}

/*
 * Multipart upload (s3multi.c): begin (with the object's headers), the
 * parts in order from the body file, complete; abort on any failure so no
 * parts are left billed.
 */
static enum err
v4_put_multipart(struct s3req *s, const char *key, const struct store_put *p,
    const char **errstr)
{
	char upload_id[STORE_UPLOAD_ID_MAX];
	struct store_part *parts;
	int64_t nparts = (p->length + s->part_size - 1) / s->part_size, i;
	off_t off, len;
	enum err rc;
	int completing = 0;

	if (nparts > S3MULTI_PARTS_MAX) {
		*errstr = "S3 put: more than 10000 parts (raise [s3] part_size)";
		return ERR_INTERNAL;
	}
	if ((rc = s3multi_begin(s, key, p, upload_id, errstr)) != ERR_OK)
		return rc;
	parts = xcalloc((size_t)nparts, sizeof(*parts));
	s->last_parts = (int)nparts;
	for (i = 0, off = 0; i < nparts; i++, off += len) {
		len = p->length - off < s->part_size ? p->length - off : (off_t)s->part_size;
		if ((rc = s3multi_part(s, key, upload_id, (int)i + 1, p->fd, p->offset + off,
		    len, &parts[i], errstr)) != ERR_OK)
			goto done;
	}
	completing = 1;
	rc = s3multi_complete(s, key, upload_id, parts, (int)nparts, errstr);
done:
	if (rc != ERR_OK) {
		const char *why = NULL;

		s3multi_abort(s, key, upload_id, &why);	/* the parts go */
		/* A completion whose answer was lost may have made the object. */
		if (completing)
			v4_undo(s, key);
	}
	free(parts);
	return rc;
}

static enum err
store_s3v4_put(void *h, const char *key, const struct store_put *p, const char **errstr)
{
	struct s3req *s = h;
	struct digest dg;

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
	if (digest_fd(p->fd, p->offset, p->length, 0, &dg) != ERR_OK) {
		*errstr = "S3 put: reading the body file for its SHA-256 failed";
		return ERR_SYS;
	}
	return v4_put_single(s, key, p, dg.sha256_hex, errstr);
}

/* ---- head, delete, list, ping ------------------------------------------ */

static enum err
store_s3v4_head(void *h, const char *key, struct store_stat *st, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_in q = { .method = "HEAD", .key = key, .len = -1 };
	struct s3req_out r = { 0 };
	enum err rc;

	s3req_perform_retry(s, &q, &r);
	s3req_explain_head(s, key, &r);
	if ((rc = s3req_result(s, &r, "head", errstr)) == ERR_OK) {
		st->size = r.size;
		st->mtime = r.mtime;
	}
	s3req_out_free(&r);
	return rc;
}

static enum err
store_s3v4_del(void *h, const char *key, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_in q = { .method = "DELETE", .key = key, .len = -1 };
	struct s3req_out r = { 0 };
	enum err rc;

	s3req_perform_retry(s, &q, &r);
	rc = s3req_result(s, &r, "delete", errstr);
	s3req_out_free(&r);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;	/* idempotent */
}

/* Deliver one ListObjectsV2 page; *more and token say where the next starts. */
static int
v4_list_page(const struct s3req_out *r, store_list_cb cb, void *arg, int *more, char *token,
    size_t tokenlen, int *got)
{
	xmlDocPtr doc;
	xmlNodePtr root = s3req_xml_root(r, "ListBucketResult", &doc), n;
	char key[1100], size[32], mtime[64], trunc[8];
	int stopped = 0;

	if (root == NULL)
		return -1;
	for (n = root->children; n != NULL && !stopped; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Contents") != 0)
			continue;
		s3req_child_text(n, "Key", key, sizeof(key));
		s3req_child_text(n, "Size", size, sizeof(size));
		s3req_child_text(n, "LastModified", mtime, sizeof(mtime));
		(*got)++;
		stopped = cb(arg, key, strtoll(size, NULL, 10), s3req_iso_time(mtime)) != 0;
	}
	s3req_child_text(root, "IsTruncated", trunc, sizeof(trunc));
	s3req_child_text(root, "NextContinuationToken", token, tokenlen);
	*more = !stopped && strcmp(trunc, "true") == 0;
	xmlFreeDoc(doc);
	return stopped;
}

static enum err
store_s3v4_list(void *h, const char *prefix, store_list_cb cb, void *arg, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_out r = { 0 };
	char token[1024] = "", *ep = sigv4_uri_encode(prefix, 0), *et, *query;
	struct s3req_in q = { .method = "GET", .len = -1 };
	enum err rc = ERR_OK;
	int more = 1, got, before, stop;

	s->list_pages = 0;
	for (got = 0; more; ) {
		et = sigv4_uri_encode(token, 0);
		query = xasprintf("list-type=2&max-keys=%d&prefix=%s%s%s", s->list_page, ep,
		    token[0] != '\0' ? "&continuation-token=" : "", et);
		free(et);
		q.query = query;
		s3req_perform_retry(s, &q, &r);
		free(query);
		s->list_pages++;
		if ((rc = s3req_result(s, &r, "list", errstr)) != ERR_OK)
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
	s3req_out_free(&r);
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
	struct s3req *s = h;
	struct s3req_in q = { .method = "GET", .query = "list-type=2&max-keys=1&prefix="
	    V4_PING_KEY, .len = -1 };
	struct s3req_out r = { 0 };
	enum err rc;

	s3req_perform(s, &q, &r);
	rc = s3req_result(s, &r, "ping", errstr);
	s3req_out_free(&r);
	return rc;
}

/* ---- presign ----------------------------------------------------------- */

static enum err
store_s3v4_presign(void *h, const char *key, int64_t expires_epoch,
    const struct store_presign *o, char *url, size_t urllen, const char **errstr)
{
	struct s3req *s = h;
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
	((struct s3req *)h)->list_page = maxkeys < 1 ? 1 : maxkeys > 1000 ? 1000 : maxkeys;
}

int
store_s3v4_list_pages(void *h)
{
	return ((struct s3req *)h)->list_pages;
}

int
store_s3v4_last_parts(void *h)
{
	return ((struct s3req *)h)->last_parts;
}

const char *
store_s3v4_last_authorization(void *h)
{
	return ((struct s3req *)h)->last_authz;
}

const char *
store_s3v4_last_amz_date(void *h)
{
	return ((struct s3req *)h)->last_date;
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
	.begin_upload = s3multi_begin,
	.upload_part = s3multi_part,
	.complete_upload = s3multi_complete,
	.abort_upload = s3multi_abort,
	.list_uploads = s3multi_list,
};
