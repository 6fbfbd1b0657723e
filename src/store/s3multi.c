/* s3multi.c - S3 multipart uploads over Signature V4: begin, parts, complete, abort, list. */
#include "config.h"

#include <curl/curl.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/xmalloc.h"
#include "store/s3multi.h"
#include "store/s3req.h"
#include "store/sigv4.h"

/* "uploadId=<encoded id>" (caller frees). */
static char *
s3multi_query(const char *upload_id, const char *before)
{
	char *eid = sigv4_uri_encode(upload_id, 0), *q;

	q = xasprintf("%s%suploadId=%s", before != NULL ? before : "",
	    before != NULL ? "&" : "", eid);
	free(eid);
	return q;
}

/* An empty key or id would make the request one on the bucket itself
 * (DELETE /bucket/?uploadId= reads as DeleteBucket). */
static int
s3multi_unnamed(const char *key, const char *upload_id, const char **errstr)
{
	if (key != NULL && key[0] != '\0' && upload_id != NULL && upload_id[0] != '\0')
		return 0;
	*errstr = "S3 multipart: no key or no upload id";
	return 1;
}

/* s3req_result(), with S3's NoSuchUpload as ERR_NOTFOUND. */
static enum err
s3multi_result(struct s3req *s, struct s3req_out *r, const char *what, const char **errstr)
{
	enum err rc = s3req_result(s, r, what, errstr);

	if (rc != ERR_OK && strcmp(r->code, "NoSuchUpload") == 0)
		rc = ERR_NOTFOUND;
	return rc;
}

enum err
s3multi_begin(void *h, const char *key, const struct store_put *p, char *upload_id,
    const char **errstr)
{
	struct s3req *s = h;
	struct curl_slist *hd = s3req_object_headers(p);
	struct s3req_in q = { .method = "POST", .key = key, .query = "uploads", .headers = hd,
	    .len = -1 };
	struct s3req_out r = { 0 };
	xmlDocPtr doc;
	enum err rc;

	upload_id[0] = '\0';
	s3req_perform_retry(s, &q, &r);
	curl_slist_free_all(hd);
	if ((rc = s3req_result(s, &r, "put (initiate multipart)", errstr)) == ERR_OK) {
		if ((doc = s3req_xml(&r)) != NULL) {
			s3req_child_text(xmlDocGetRootElement(doc), "UploadId", upload_id,
			    STORE_UPLOAD_ID_MAX);
			xmlFreeDoc(doc);
		}
		if (upload_id[0] == '\0') {
			*errstr = "S3 put: initiating the multipart upload gave no UploadId";
			rc = ERR_BACKEND;
		}
	}
	s3req_out_free(&r);
	return rc;
}

/* One part: its own SHA-256 and MD5, so S3 checks every byte. */
enum err
s3multi_part(void *h, const char *key, const char *upload_id, int number, int fd, off_t off,
    off_t len, struct store_part *part, const char **errstr)
{
	struct s3req *s = h;
	struct curl_slist *hd = NULL;
	struct s3req_out r = { 0 };
	struct digest dg;
	char num[32], *line, *query;
	struct s3req_in q = { .method = "PUT", .key = key, .sha256 = dg.sha256_hex, .fd = fd,
	    .off = off, .len = len };
	enum err rc;

	memset(part, 0, sizeof(*part));
	if (s3multi_unnamed(key, upload_id, errstr))
		return ERR_INTERNAL;
	if (number < 1 || number > S3MULTI_PARTS_MAX) {
		*errstr = "S3 put: a part number outside 1..10000";
		return ERR_INTERNAL;
	}
	if (digest_fd(fd, off, len, 1, &dg) != ERR_OK) {
		*errstr = "S3 put: reading the body file for a part's digest failed";
		return ERR_SYS;
	}
	snprintf(num, sizeof(num), "partNumber=%d", number);
	query = s3multi_query(upload_id, num);
	line = xasprintf("Content-MD5: %s", dg.md5_base64);
	hd = curl_slist_append(hd, line);
	free(line);
	q.query = query;
	q.headers = hd;
	s3req_perform_retry(s, &q, &r);
	if ((rc = s3multi_result(s, &r, "put (part)", errstr)) == ERR_OK) {
		if (r.etag[0] == '\0') {
			*errstr = "S3 put: a part's answer had no ETag";
			rc = ERR_BACKEND;
		}
		part->number = number;
		part->size = (int64_t)len;
		memcpy(part->etag, r.etag, sizeof(part->etag));
		part->etag[sizeof(part->etag) - 1] = '\0';
	}
	curl_slist_free_all(hd);
	s3req_out_free(&r);
	free(query);
	return rc;
}

char *
s3multi_complete_xml(const struct store_part *parts, int nparts)
{
	size_t xmllen, used;
	char *xml;
	int i;

	if (nparts < 1 || nparts > S3MULTI_PARTS_MAX)
		return NULL;
	/* One allocation: a part's line is 51 bytes of tags, a number of at
	 * most 5 digits and an ETag of at most 79 bytes. */
	xmllen = (size_t)nparts * (51 + 5 + 79) + 64;
	xml = xmalloc(xmllen);
	used = (size_t)snprintf(xml, xmllen, "<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++) {
		/* An ETag is S3's quoted hex: nothing in it needs escaping. */
		if (parts[i].number < 1 || parts[i].number > S3MULTI_PARTS_MAX ||
		    parts[i].etag[0] == '\0' || strpbrk(parts[i].etag, "<>&") != NULL ||
		    strnlen(parts[i].etag, sizeof(parts[i].etag)) == sizeof(parts[i].etag)) {
			free(xml);
			return NULL;
		}
		used += (size_t)snprintf(xml + used, xmllen - used,
		    "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", parts[i].number,
		    parts[i].etag);
	}
	snprintf(xml + used, xmllen - used, "</CompleteMultipartUpload>");
	return xml;
}

enum err
s3multi_complete(void *h, const char *key, const char *upload_id,
    const struct store_part *parts, int nparts, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_out r = { 0 };
	struct digest dg;
	char *xml, *query;
	struct s3req_in q = { .method = "POST", .key = key, .sha256 = dg.sha256_hex, .len = -1 };
	enum err rc;

	if (s3multi_unnamed(key, upload_id, errstr))
		return ERR_INTERNAL;
	if ((xml = s3multi_complete_xml(parts, nparts)) == NULL) {
		*errstr = "S3 put: a part list that cannot complete an upload";
		return ERR_INTERNAL;
	}
	if (digest_mem(xml, strlen(xml), 0, &dg) != ERR_OK) {
		free(xml);
		*errstr = "S3 put: hashing the part list failed";
		return ERR_INTERNAL;
	}
	query = s3multi_query(upload_id, NULL);
	q.query = query;
	q.mem = xml;
	s3req_perform_retry(s, &q, &r);
	/* CompleteMultipartUpload may say 200 and put an <Error> in the body. */
	if (r.cc == CURLE_OK && r.status == 200 && r.body != NULL &&
	    strstr(r.body, "<Error>") != NULL) {
		s3req_parse_error(&r);
		r.status = 500;
	}
	rc = s3multi_result(s, &r, "put (complete multipart)", errstr);
	s3req_out_free(&r);
	free(query);
	free(xml);
	return rc;
}

enum err
s3multi_abort(void *h, const char *key, const char *upload_id, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_in q = { .method = "DELETE", .key = key, .len = -1 };
	struct s3req_out r = { 0 };
	char *query;
	enum err rc;

	if (s3multi_unnamed(key, upload_id, errstr))
		return ERR_INTERNAL;
	query = s3multi_query(upload_id, NULL);
	q.query = query;
	s3req_perform_retry(s, &q, &r);
	rc = s3multi_result(s, &r, "abort multipart", errstr);
	s3req_out_free(&r);
	free(query);
	return rc == ERR_NOTFOUND ? ERR_OK : rc;	/* idempotent */
}

/* Deliver one ListMultipartUploads page; *more and the markers say where
 * the next starts.  -1 if it is not one, 1 if cb stopped. */
static int
s3multi_list_page(const struct s3req_out *r, store_upload_cb cb, void *arg, int *more,
    char *key_marker, size_t kmlen, char *id_marker, size_t imlen)
{
	xmlDocPtr doc;
	xmlNodePtr root = s3req_xml_root(r, "ListMultipartUploadsResult", &doc), n;
	char key[1100], id[STORE_UPLOAD_ID_MAX], when[64], trunc[8];
	int stopped = 0;

	if (root == NULL)
		return -1;
	for (n = root->children; n != NULL && !stopped; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Upload") != 0)
			continue;
		s3req_child_text(n, "Key", key, sizeof(key));
		s3req_child_text(n, "UploadId", id, sizeof(id));
		s3req_child_text(n, "Initiated", when, sizeof(when));
		stopped = cb(arg, key, id, s3req_iso_time(when)) != 0;
	}
	s3req_child_text(root, "IsTruncated", trunc, sizeof(trunc));
	s3req_child_text(root, "NextKeyMarker", key_marker, kmlen);
	s3req_child_text(root, "NextUploadIdMarker", id_marker, imlen);
	*more = !stopped && strcmp(trunc, "true") == 0;
	xmlFreeDoc(doc);
	return stopped;
}

enum err
s3multi_list(void *h, const char *prefix, store_upload_cb cb, void *arg, const char **errstr)
{
	struct s3req *s = h;
	struct s3req_out r = { 0 };
	char km[1100] = "", im[STORE_UPLOAD_ID_MAX] = "", *ep = sigv4_uri_encode(prefix, 0);
	char *ek, *ei, *query;
	struct s3req_in q = { .method = "GET", .len = -1 };
	enum err rc = ERR_OK;
	int more = 1, stop;

	while (more) {
		ek = sigv4_uri_encode(km, 0);
		ei = sigv4_uri_encode(im, 0);
		query = xasprintf("uploads&prefix=%s%s%s%s%s", ep,
		    km[0] != '\0' ? "&key-marker=" : "", ek,
		    im[0] != '\0' ? "&upload-id-marker=" : "", ei);
		free(ek);
		free(ei);
		q.query = query;
		s3req_perform_retry(s, &q, &r);
		free(query);
		if ((rc = s3req_result(s, &r, "list multipart uploads", errstr)) != ERR_OK)
			break;
		if ((stop = s3multi_list_page(&r, cb, arg, &more, km, sizeof(km), im,
		    sizeof(im))) == -1) {
			*errstr = "S3 list: the answer is not a ListMultipartUploadsResult";
			rc = ERR_BACKEND;
			break;
		}
		if (stop)
			break;
		if (more && km[0] == '\0') {
			*errstr = "S3 list: a truncated page of uploads without a next marker";
			rc = ERR_BACKEND;
			break;
		}
	}
	s3req_out_free(&r);
	free(ep);
	return rc;
}
