/* store_s3.h - knobs of the S3 backend beyond struct store_backend (tests, tuning). */
#ifndef COFFER_STORE_S3_H
#define COFFER_STORE_S3_H

/* Objects asked for per list request (max-keys, 1..1000; default 1000). */
void store_s3_set_list_page(void *h, int maxkeys);

/* How many list requests the last list() on h made (pages fetched). */
int store_s3_list_pages(void *h);

#endif
