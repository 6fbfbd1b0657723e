/* testkeys.h - key pairs generated at test time for the JWT tests (no key files in git). */
#ifndef COFFER_TESTKEYS_H
#define COFFER_TESTKEYS_H

enum testkey_type { TESTKEY_RSA2048, TESTKEY_RSA1024, TESTKEY_P256, TESTKEY_P384 };

struct testkey {
	char	*private_pem;	/* PKCS#8 "BEGIN PRIVATE KEY" */
	char	*public_pem;	/* SubjectPublicKeyInfo "BEGIN PUBLIC KEY" */
};

/* A fresh key pair; aborts the test on failure.  Free with testkey_free(). */
struct testkey testkey_new(enum testkey_type type);
void testkey_free(struct testkey *k);

/* Write text to a new temporary file named into path (len bytes) and
 * return path; the caller unlinks it. */
const char *testkey_write(const char *text, char *path, size_t len);

#endif
