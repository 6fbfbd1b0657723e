/* store_s3v4.h - knobs of the Signature V4 S3 backend beyond struct store_backend (tests). */
#ifndef COFFER_STORE_S3V4_H
#define COFFER_STORE_S3V4_H

/* Objects asked for per ListObjectsV2 request (max-keys, 1..1000; default 1000). */
void store_s3v4_set_list_page(void *h, int maxkeys);

/* How many list requests the last list() on h made (pages fetched). */
int store_s3v4_list_pages(void *h);

/* How many parts the last put() on h sent (0: a single PUT). */
int store_s3v4_last_parts(void *h);

/*
 * The Authorization header and x-amz-date libcurl sent with the last request
 * of h ("" before any), for comparing libcurl's signature with sigv4.c's.
 */
const char *store_s3v4_last_authorization(void *h);
const char *store_s3v4_last_amz_date(void *h);

#endif
