/* store_s3.h - knobs of the S3 backend beyond struct store_backend (tests, tuning). */
#ifndef COFFER_STORE_S3_H
#define COFFER_STORE_S3_H

#include <stddef.h>

/* Objects asked for per list request (max-keys, 1..1000; default 1000). */
void store_s3_set_list_page(void *h, int maxkeys);

/* How many list requests the last list() on h made (pages fetched). */
int store_s3_list_pages(void *h);

/*
 * Shared by both S3 backends (store_s3.c, V2; store_s3v4.c, V4):
 *
 * in (an original file name) as the value of x-amz-meta-original-name:
 * percent-encoded UTF-8, cut at a character boundary to fit outlen.
 */
void store_s3_meta_encode(const char *in, char *out, size_t outlen);

/* Whether a single-part ETag (quoted or not) says the stored bytes are not
 * the ones whose MD5 is md5_base64; 0 when the ETag says nothing. */
int store_s3_etag_mismatch(const char *etag, const char *md5_base64);

/* v is printable ASCII only (it may go into a header of S3's answer). */
int store_s3_printable(const char *v);

#endif
