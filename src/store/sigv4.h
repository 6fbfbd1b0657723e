/* sigv4.h - AWS Signature Version 4: canonical request, string to sign, signature, presigned URLs. */
#ifndef COFFER_SIGV4_H
#define COFFER_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * libcurl signs Coffer's requests to S3 (CURLOPT_AWS_SIGV4); this module
 * holds what libcurl does not do: presigned URLs (query-string auth) and the
 * query-string canonicalisation libcurl 7.88 leaves to its caller.  It is
 * the whole algorithm of the AWS documentation, so it is tested against
 * AWS's published test suite and AWS's own JavaScript signer.
 */

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
/* The SHA-256 of nothing: the payload hash of a request without a body. */
#define SIGV4_EMPTY_SHA256	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* AWS's bound on X-Amz-Expires: seven days. */
#define SIGV4_PRESIGN_MAX	604800

/* Who signs, for what: every string borrowed. */
struct sigv4_cred {
	const char	*access_key_id;
	const char	*secret;
	const char	*region;
	const char	*service;	/* "s3" */
};

struct sigv4_header {
	const char	*name;		/* any case */
	const char	*value;		/* as sent; trimmed for signing */
};

/* A request to sign; every string borrowed. */
struct sigv4_request {
	const char		*method;
	const char		*path;		/* as sent, already URI-encoded */
	const char		*query;		/* as sent, without '?'; NULL: none */
	const struct sigv4_header *headers;
	size_t			 nheaders;
	const char		*payload_hash;	/* hex SHA-256 or SIGV4_UNSIGNED_PAYLOAD */
};

/* What a presigned GET URL is made of; every string borrowed. */
struct sigv4_presign {
	const char	*scheme;	/* "https" or "http" */
	const char	*host;		/* Host header value: "bucket.s3.amazonaws.com", "h:9000" */
	const char	*path;		/* URI-encoded, e.g. "/bucket/key" */
	const char	*session_token;	/* NULL or "": none */
	const char	*extra_query;	/* more name=value pairs, encoded, '&'-joined; NULL: none */
	time_t		 now;		/* X-Amz-Date */
	int64_t		 expires_in;	/* X-Amz-Expires, 1..SIGV4_PRESIGN_MAX */
};

/* X-Amz-Date for t (UTC, e.g. 20150830T123600Z) into out. */
void sigv4_amz_date(time_t t, char out[17]);

/*
 * in percent-encoded the way SigV4 wants it (RFC 3986: A-Z a-z 0-9 - . _ ~
 * stay, every other byte becomes %XX in upper case; '/' stays too with
 * keep_slash, for S3 object keys in paths).  Returns a malloc'd string.
 */
char *sigv4_uri_encode(const char *in, int keep_slash);

/*
 * The canonical query string of query (as sent, without '?'): each
 * name=value decoded, re-encoded with sigv4_uri_encode, sorted by name then
 * value, joined with '&'; a name without '=' gets an empty value.  NULL or
 * "" gives "".  Returns a malloc'd string.  libcurl 7.88 signs the query as
 * it is given, so Coffer passes it the output of this function.
 */
char *sigv4_canonical_query(const char *query);

/*
 * The canonical request of r (AWS's step 1) and, in *signed_headers when
 * not NULL, the signed header names ("host;x-amz-date"), both malloc'd.
 * Header names are lower-cased and sorted; values trimmed, inner runs of
 * blanks folded to one space; repeated names joined with ','.
 */
char *sigv4_canonical_request(const struct sigv4_request *r, char **signed_headers);

/* The string to sign for creq at amz_date (step 2); malloc'd. */
char *sigv4_string_to_sign(const struct sigv4_cred *c, const char *amz_date, const char *creq);

/*
 * The hex signature of sts (steps 3 and 4: the signing key derived from the
 * secret, date, region and service, HMAC-SHA256 with OpenSSL).  Returns 0,
 * or -1 if OpenSSL fails.
 */
int sigv4_signature(const struct sigv4_cred *c, const char *amz_date, const char *sts,
    char hex[65]);

/*
 * The Authorization header value of r signed at amz_date (r must carry the
 * x-amz-date header itself); malloc'd, or NULL if OpenSSL fails.
 */
char *sigv4_authorization(const struct sigv4_cred *c, const char *amz_date,
    const struct sigv4_request *r);

/*
 * A presigned GET URL (query-string auth, UNSIGNED-PAYLOAD, only Host
 * signed): X-Amz-Algorithm, -Content-Sha256, -Credential, -Date, -Expires,
 * -Security-Token (with a session token), -SignedHeaders and p->extra_query
 * in canonical order, then X-Amz-Signature.  The parameter set is the one
 * AWS's own S3 presigner writes.  Returns a malloc'd URL, or NULL if
 * expires_in is out of range or OpenSSL fails.
 */
char *sigv4_presign_url(const struct sigv4_cred *c, const struct sigv4_presign *p);

#endif
