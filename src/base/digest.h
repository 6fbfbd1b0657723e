/* digest.h - SHA-256 and MD5 of a byte range of a file or of memory, in one pass. */
#ifndef COFFER_DIGEST_H
#define COFFER_DIGEST_H

#include <sys/types.h>

#include "base/err.h"

struct digest {
	char	sha256_hex[65];
	char	md5_base64[25];	/* for S3's Content-MD5; "" unless asked for */
};

/*
 * Read [offset, offset+length) of fd once with a fixed buffer (memory is
 * independent of the size) and fill *d: SHA-256 always, MD5 only with
 * want_md5 (it costs as much CPU as SHA-256 and only S3 needs it).  ERR_SYS
 * if the file is shorter than length or unreadable.
 */
enum err digest_fd(int fd, off_t offset, off_t length, int want_md5, struct digest *d);

/* The same over len bytes of memory; ERR_INTERNAL if OpenSSL fails. */
enum err digest_mem(const void *buf, size_t len, int want_md5, struct digest *d);

#endif
