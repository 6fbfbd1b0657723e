/* testkeys.c - RSA and EC key pairs for unit tests, made with OpenSSL 3. */
#include "config.h"

#include <check.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testkeys.h"

static char *
testkey_bio_str(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

struct testkey
testkey_new(enum testkey_type type)
{
	struct testkey k;
	EVP_PKEY *pkey = NULL;
	BIO *bio;

	switch (type) {
	case TESTKEY_RSA2048:
		pkey = EVP_RSA_gen(2048);
		break;
	case TESTKEY_RSA1024:
		pkey = EVP_RSA_gen(1024);
		break;
	case TESTKEY_P256:
		pkey = EVP_EC_gen("P-256");
		break;
	case TESTKEY_P384:
		pkey = EVP_EC_gen("P-384");
		break;
	}
	ck_assert_ptr_nonnull(pkey);
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
	k.private_pem = testkey_bio_str(bio);
	BIO_free(bio);
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, pkey), 1);
	k.public_pem = testkey_bio_str(bio);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return k;
}

void
testkey_free(struct testkey *k)
{
	free(k->private_pem);
	free(k->public_pem);
	k->private_pem = k->public_pem = NULL;
}

const char *
testkey_write(const char *text, char *path, size_t len)
{
	FILE *fp;
	int fd;

	snprintf(path, len, "/tmp/coffer-testkey.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}
