/* s3req.h - one request to S3 over libcurl, signed with Signature V4: send, retry, read the answer. */
#ifndef COFFER_S3REQ_H
#define COFFER_S3REQ_H

#include <curl/curl.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/err.h"

/* A handle of the V4 backend (store_s3v4.c): settings and one libcurl
 * handle, whose connections are reused from request to request. */
struct s3req {
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

/* One request; every pointer borrowed. */
struct s3req_in {
	const char		*method;	/* GET HEAD PUT POST DELETE */
	const char		*key;		/* NULL: the bucket */
	const char		*query;		/* raw; canonicalised before use */
	const struct curl_slist	*headers;	/* more headers, or NULL */
	const char		*sha256;	/* payload hash; NULL: empty body */
	int			 fd;		/* body from [off, off+len) of fd ... */
	off_t			 off, len;
	const char		*mem;		/* ... or from memory (POST) */
};

/* Its outcome; s3req_out_free() releases the body. */
struct s3req_out {
	struct s3req	*s;
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

/* Release what r holds (the answer's body); r may be performed again. */
void s3req_out_free(struct s3req_out *r);

/*
 * Send q once and fill *r: libcurl signs (CURLOPT_AWS_SIGV4), the query goes
 * through sigv4_canonical_query() first, x-amz-content-sha256 (and the
 * session token) are added; an error answer's <Error> is parsed into r.
 */
void s3req_perform(struct s3req *s, const struct s3req_in *q, struct s3req_out *r);

/* s3req_perform, retrying transient failures 3 times (100, 400, 1600 ms). */
void s3req_perform_retry(struct s3req *s, const struct s3req_in *q, struct s3req_out *r);

/*
 * r as the store interface's error (ERR_OK, ERR_NOTFOUND, ERR_BACKEND,
 * ERR_INTERNAL, ERR_SYS, ERR_NOMEM), with *errstr (in s->errbuf) naming
 * what, S3's error code and message and what to fix, for the log.
 */
enum err s3req_result(struct s3req *s, struct s3req_out *r, const char *what,
    const char **errstr);

/* A HEAD's refusal has no body: ask the same key as GET to learn S3's code. */
void s3req_explain_head(struct s3req *s, const char *key, struct s3req_out *r);

/* The answer's body parsed as XML (NULL if none or not XML); xmlFreeDoc() it. */
xmlDocPtr s3req_xml(const struct s3req_out *r);

/* The answer's root element if it is named name, its document in *doc
 * (xmlFreeDoc() it); NULL, with nothing to free, if it is not one. */
xmlNodePtr s3req_xml_root(const struct s3req_out *r, const char *name, xmlDocPtr *doc);

/* The text of n's first child element name into out ("" when absent). */
void s3req_child_text(xmlNodePtr n, const char *name, char *out, size_t outlen);

/* <Error><Code/><Message/><Region/></Error> of r's body into r. */
void s3req_parse_error(struct s3req_out *r);

/* "2026-12-03T09:25:57.839Z" (S3's times) as seconds since the epoch;
 * 0 if unparsable. */
time_t s3req_iso_time(const char *t);

struct store_put;

/* A new object's headers (type, cache policy, original name) from p;
 * the caller frees the list (curl_slist_free_all). */
struct curl_slist *s3req_object_headers(const struct store_put *p);

#endif
