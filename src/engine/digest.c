/* digest.c - content hashes with OpenSSL's EVP interface. */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "engine/digest.h"

#define DIGEST_BUF (256 * 1024)

enum err
digest_fd(int fd, off_t offset, off_t length, int want_md5, struct digest *d)
{
	static unsigned char buf[DIGEST_BUF];
	unsigned char sha[EVP_MAX_MD_SIZE], md5[EVP_MAX_MD_SIZE];
	unsigned int shalen = 0, md5len = 0, i;
	EVP_MD_CTX *cs = EVP_MD_CTX_new(), *cm = want_md5 ? EVP_MD_CTX_new() : NULL;
	enum err rc = ERR_SYS;
	ssize_t n;

	d->md5_base64[0] = '\0';
	if (cs == NULL || (want_md5 && cm == NULL) ||
	    EVP_DigestInit_ex(cs, EVP_sha256(), NULL) != 1 ||
	    (want_md5 && EVP_DigestInit_ex(cm, EVP_md5(), NULL) != 1))
		goto out;
	while (length > 0) {
		n = pread(fd, buf, length < DIGEST_BUF ? (size_t)length : DIGEST_BUF, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		EVP_DigestUpdate(cs, buf, (size_t)n);
		if (want_md5)
			EVP_DigestUpdate(cm, buf, (size_t)n);
		offset += n;
		length -= n;
	}
	if (EVP_DigestFinal_ex(cs, sha, &shalen) != 1 ||
	    (want_md5 && EVP_DigestFinal_ex(cm, md5, &md5len) != 1))
		goto out;
	for (i = 0; i < shalen; i++)
		snprintf(d->sha256_hex + 2 * i, 3, "%02x", sha[i]);
	if (want_md5)
		EVP_EncodeBlock((unsigned char *)d->md5_base64, md5, (int)md5len);
	rc = ERR_OK;
out:
	EVP_MD_CTX_free(cs);
	EVP_MD_CTX_free(cm);
	return rc;
}
