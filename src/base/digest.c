/* digest.c - content hashes with OpenSSL's EVP interface. */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>

#include "base/digest.h"

#define DIGEST_BUF (256 * 1024)

struct digest_ctx {
	EVP_MD_CTX	*sha, *md5;
};

/* OpenSSL 3 looks a digest up by name on every implicit fetch: once per
 * process is enough. */
static const EVP_MD *
digest_md(int md5)
{
	static EVP_MD *sha256_md, *md5_md;
	EVP_MD **m = md5 ? &md5_md : &sha256_md;

	if (*m == NULL)
		*m = EVP_MD_fetch(NULL, md5 ? "MD5" : "SHA256", NULL);
	return *m;
}

static int
digest_begin(struct digest_ctx *c, int want_md5)
{
	const EVP_MD *sha = digest_md(0), *md5 = want_md5 ? digest_md(1) : NULL;

	c->sha = EVP_MD_CTX_new();
	c->md5 = want_md5 ? EVP_MD_CTX_new() : NULL;
	return c->sha != NULL && sha != NULL && EVP_DigestInit_ex(c->sha, sha, NULL) == 1 &&
	    (!want_md5 || (c->md5 != NULL && md5 != NULL &&
	    EVP_DigestInit_ex(c->md5, md5, NULL) == 1)) ? 0 : -1;
}

static void
digest_update(struct digest_ctx *c, const void *buf, size_t n)
{
	EVP_DigestUpdate(c->sha, buf, n);
	if (c->md5 != NULL)
		EVP_DigestUpdate(c->md5, buf, n);
}

/* Fill *d and free the contexts; -1 if a final step failed. */
static int
digest_end(struct digest_ctx *c, int ok, struct digest *d)
{
	unsigned char sha[EVP_MAX_MD_SIZE], md5[EVP_MAX_MD_SIZE];
	unsigned int shalen = 0, md5len = 0, i;

	if (ok && (EVP_DigestFinal_ex(c->sha, sha, &shalen) != 1 ||
	    (c->md5 != NULL && EVP_DigestFinal_ex(c->md5, md5, &md5len) != 1)))
		ok = 0;
	if (ok) {
		for (i = 0; i < shalen; i++)
			snprintf(d->sha256_hex + 2 * i, 3, "%02x", sha[i]);
		if (c->md5 != NULL)
			EVP_EncodeBlock((unsigned char *)d->md5_base64, md5, (int)md5len);
	}
	EVP_MD_CTX_free(c->sha);
	EVP_MD_CTX_free(c->md5);
	return ok ? 0 : -1;
}

enum err
digest_fd(int fd, off_t offset, off_t length, int want_md5, struct digest *d)
{
	static unsigned char buf[DIGEST_BUF];
	struct digest_ctx c;
	ssize_t n;
	int ok;

	d->md5_base64[0] = '\0';
	ok = digest_begin(&c, want_md5) == 0;
	while (ok && length > 0) {
		n = pread(fd, buf, length < DIGEST_BUF ? (size_t)length : DIGEST_BUF, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = 0;
			break;
		}
		digest_update(&c, buf, (size_t)n);
		offset += n;
		length -= n;
	}
	return digest_end(&c, ok, d) == 0 ? ERR_OK : ERR_SYS;
}

enum err
digest_mem(const void *buf, size_t len, int want_md5, struct digest *d)
{
	struct digest_ctx c;
	int ok;

	d->md5_base64[0] = '\0';
	if ((ok = digest_begin(&c, want_md5) == 0))
		digest_update(&c, buf, len);
	return digest_end(&c, ok, d) == 0 ? ERR_OK : ERR_INTERNAL;
}
