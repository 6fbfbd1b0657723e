/* conf_validate.c - rules across keys, key files and URLs, checked once a configuration is parsed. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "base/conf.h"
#include "base/conf_validate.h"
#include "base/cors.h"
#include "base/log.h"
#include "base/xmalloc.h"

#define GiB	(INT64_C(1) << 30)

/* "type/subtype, ..." with RFC 6838 name characters only; at least one. */
static int
conf_check_types(const char *list, char *errbuf, size_t errlen)
{
	const char *p = list;
	size_t n = 0, len, slash;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t");
		slash = strcspn(p, "/");
		if (slash == 0 || slash >= len - 1 ||
		    strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-/") < len ||
		    memchr(p + slash + 1, '/', len - slash - 1) != NULL) {
			snprintf(errbuf, errlen,
			    "[storage] allowed_types: \"%.*s\" is not a lower-case MIME type",
			    (int)len, p);
			return -1;
		}
		n++;
		p += len;
	}
	if (n == 0) {
		snprintf(errbuf, errlen, "[storage] allowed_types must name at least one type");
		return -1;
	}
	return 0;
}

/* The [s3] keys that only make sense together (type = s3). */
static int
conf_validate_s3(const struct conf *conf, char *errbuf, size_t errlen)
{
	if (conf->s3_signature == S3_SIG_V2) {
		/* libs3 2.0 has no security token, no region and no multipart
		 * here: refuse what it would silently ignore. */
		if (conf->s3_session_token[0] != '\0') {
			snprintf(errbuf, errlen,
			    "[s3] session_token (AWS_SESSION_TOKEN) needs signature = v4 (libs3's V2 cannot send it)");
			return -1;
		}
		if (conf->s3_ca_file[0] != '\0') {
			snprintf(errbuf, errlen,
			    "[s3] ca_file needs signature = v4 (libs3's V2 uses the system's CAs only)");
			return -1;
		}
		if (conf->max_file_size > 5 * GiB) {
			snprintf(errbuf, errlen,
			    "[storage] max_file_size above 5GiB needs [s3] signature = v4 (multipart upload)");
			return -1;
		}
		return 0;
	}
	if (conf->s3_region[0] == '\0' ||
	    strspn(conf->s3_region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(conf->s3_region)) {
		snprintf(errbuf, errlen,
		    "[s3] region (AWS_REGION) = \"%s\" must be a region name such as us-east-1 (signature = v4 signs it)",
		    conf->s3_region);
		return -1;
	}
	if (conf->s3_part_size > conf->s3_multipart_threshold) {
		snprintf(errbuf, errlen,
		    "[s3] part_size must not exceed [s3] multipart_threshold");
		return -1;
	}
	/* AWS allows 10000 parts: the largest file must fit. */
	if (conf->max_file_size > conf->s3_part_size * INT64_C(10000)) {
		snprintf(errbuf, errlen,
		    "[s3] part_size too small: [storage] max_file_size needs more than 10000 parts");
		return -1;
	}
	if (conf->s3_ca_file[0] != '\0' && !conf->s3_tls) {
		snprintf(errbuf, errlen, "[s3] ca_file is set but [s3] tls = no");
		return -1;
	}
	return 0;
}

static int
conf_validate(const struct conf *conf, char *errbuf, size_t errlen)
{
	if (conf_check_types(conf->allowed_types, errbuf, errlen) == -1)
		return -1;
	if (conf->listen[0] == '\0') {
		snprintf(errbuf, errlen, "[server] listen must not be empty");
		return -1;
	}
	if (conf->storage_type == STORAGE_LOCAL && conf->local_path[0] != '/') {
		snprintf(errbuf, errlen,
		    "[storage] local_path (LOCAL_STORAGE_PATH) = \"%s\" must be an absolute path",
		    conf->local_path);
		return -1;
	}
	if (conf->storage_type == STORAGE_S3) {
		/* Credentials matter only for S3: local storage runs offline. */
		if (conf->s3_bucket[0] == '\0') {
			snprintf(errbuf, errlen,
			    "[s3] bucket (S3_BUCKET_NAME) is required when [storage] type = s3");
			return -1;
		}
		if (conf->s3_access_key_id[0] == '\0' ||
		    conf->s3_secret_access_key[0] == '\0') {
			snprintf(errbuf, errlen,
			    "[s3] access_key_id and secret_access_key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) are required when [storage] type = s3");
			return -1;
		}
		if (conf_validate_s3(conf, errbuf, errlen) == -1)
			return -1;
	}
	/* A pending row younger than the longest request may still have a
	 * worker writing its object: the reconciler must not judge it. */
	if (conf->pending_timeout_ms <= conf->request_timeout_ms) {
		snprintf(errbuf, errlen,
		    "[reconcile] pending_timeout must be longer than [server] request_timeout");
		return -1;
	}
	if (conf->status_socket[0] != '\0' && conf->status_socket[0] != '/') {
		snprintf(errbuf, errlen,
		    "[server] status_socket = \"%s\" must be an absolute path",
		    conf->status_socket);
		return -1;
	}
	return 0;
}

/* HS256 keys shorter than the hash are brute-forceable (RFC 7518 3.2). */
#define JWT_SECRET_MIN	32
#define KEY_FILE_MAX	(64 * 1024)
/* Download links are HMAC-SHA256: the same bound as HS256. */
#define LINK_SECRET_MIN	32

int
conf_read_key_file(const char *path, const char *what, char **out, char *errbuf,
    size_t errlen)
{
	char *buf;
	size_t len;
	FILE *fp;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(errbuf, errlen, "%s = \"%s\": cannot open: %s", what, path,
		    strerror(errno));
		return -1;
	}
	buf = xmalloc(KEY_FILE_MAX + 1);
	len = fread(buf, 1, KEY_FILE_MAX + 1, fp);
	fclose(fp);
	if (len > KEY_FILE_MAX) {
		free(buf);
		snprintf(errbuf, errlen, "%s = \"%s\" is too large for a key file", what, path);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/*
 * Read [auth] jwt_public_key_file into conf->jwt_public_key and check that
 * it is a key jwt_algorithm can verify with: an RSA key of 2048 bits or
 * more for RS256, a P-256 key for ES256.  Done here, at load, so a bad key
 * stops the start (or the reload) instead of failing every request.
 */
static int
conf_load_public_key(struct conf *conf, char *errbuf, size_t errlen)
{
	const char *file = conf->jwt_public_key_file;
	const char *alg = conf_jwt_algorithms[conf->jwt_algorithm];
	char *buf = NULL, group[64];
	EVP_PKEY *key = NULL;
	BIO *bio;
	int ok = 0;

	if (file[0] == '\0') {
		snprintf(errbuf, errlen,
		    "[auth] jwt_public_key_file is required when jwt_algorithm = %s", alg);
		return -1;
	}
	if (conf_read_key_file(file, "[auth] jwt_public_key_file", &buf, errbuf, errlen) == -1)
		return -1;
	if ((bio = BIO_new_mem_buf(buf, -1)) == NULL)
		fatalx("out of memory");
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL) {
		snprintf(errbuf, errlen,
		    "[auth] jwt_public_key_file = \"%s\" holds no PEM public key (BEGIN PUBLIC KEY)",
		    file);
		goto done;
	}
	if (conf->jwt_algorithm == JWT_RS256 &&
	    (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < 2048)) {
		snprintf(errbuf, errlen,
		    "[auth] jwt_public_key_file = \"%s\" must be an RSA key of at least 2048 bits for RS256",
		    file);
		goto done;
	}
	if (conf->jwt_algorithm == JWT_ES256 &&
	    (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0)) {
		snprintf(errbuf, errlen,
		    "[auth] jwt_public_key_file = \"%s\" must be a P-256 EC key for ES256", file);
		goto done;
	}
	conf->jwt_public_key = buf;
	buf = NULL;
	ok = 1;
done:
	EVP_PKEY_free(key);
	free(buf);
	return ok ? 0 : -1;
}

static int
conf_validate_auth(struct conf *conf, char *errbuf, size_t errlen)
{
	const char *claims[] = { conf->claim_customer, conf->claim_user, conf->claim_role };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (claims[i][0] == '\0') {
			snprintf(errbuf, errlen,
			    "[auth] claim_customer, claim_user and claim_role must not be empty");
			return -1;
		}
	}
	if (conf->jwt_algorithm != JWT_HS256)
		return conf_load_public_key(conf, errbuf, errlen);
	/* No secret is allowed: /auth then refuses every JWT, API keys still
	 * work, and the daemon says so when it starts. */
	if (conf->jwt_secret[0] != '\0' && strlen(conf->jwt_secret) < JWT_SECRET_MIN) {
		snprintf(errbuf, errlen,
		    "[auth] jwt_secret (JWT_SECRET) must be at least %d bytes for HS256 (e.g. openssl rand -hex 32)",
		    JWT_SECRET_MIN);
		return -1;
	}
	return 0;
}

/* [server] public_url: "http(s)://host[:port][/prefix]", no query, fragment,
 * user info or trailing slash, printable ASCII without spaces: links are
 * this string followed by "/dl/...". */
static int
conf_check_public_url(const char *url, char *errbuf, size_t errlen)
{
	const char *p = url, *host;
	size_t n;

	if (url[0] == '\0')
		return 0;
	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else
		goto bad;
	host = p;
	n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:");
	if (n == 0 || host[0] == '.' || host[0] == '-' || host[0] == ':')
		goto bad;
	p = host + n;
	/* A path prefix: the unreserved and sub-delimiter characters of RFC 3986. */
	if (*p == '/') {
		n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/");
		if (p[n] != '\0' || p[n - 1] == '/' || strstr(p, "/../") != NULL ||
		    strstr(p, "//") != NULL)
			goto bad;
		p += n;
	}
	if (*p == '\0')
		return 0;
bad:
	snprintf(errbuf, errlen,
	    "[server] public_url = \"%s\" must be http(s)://host[:port][/path] without a trailing slash, query or user",
	    url);
	return -1;
}

/*
 * The download-link key: link_secret or the contents of link_secret_file
 * (one of them, at least LINK_SECRET_MIN bytes), into conf->link_key.
 * Without one, type = local serves no download links (cofferd signs them).
 */
static int
conf_load_link_key(struct conf *conf, char *errbuf, size_t errlen)
{
	char *buf = NULL;
	size_t n;

	if (conf->link_secret[0] != '\0' && conf->link_secret_file[0] != '\0') {
		snprintf(errbuf, errlen,
		    "[storage] link_secret (COFFER_LINK_SECRET) and link_secret_file are both set: set one");
		return -1;
	}
	if (conf->link_secret_file[0] != '\0') {
		if (conf_read_key_file(conf->link_secret_file, "[storage] link_secret_file", &buf,
		    errbuf, errlen) == -1)
			return -1;
		n = strlen(buf);
		while (n > 0 && isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
		if (n < LINK_SECRET_MIN) {
			explicit_bzero(buf, n);
			free(buf);
			snprintf(errbuf, errlen,
			    "[storage] link_secret_file = \"%s\" must hold at least %d bytes (e.g. openssl rand -hex 32)",
			    conf->link_secret_file, LINK_SECRET_MIN);
			return -1;
		}
		conf->link_key = buf;
		return 0;
	}
	if (conf->link_secret[0] != '\0') {
		if (strlen(conf->link_secret) < LINK_SECRET_MIN) {
			snprintf(errbuf, errlen,
			    "[storage] link_secret (COFFER_LINK_SECRET) must be at least %d bytes (e.g. openssl rand -hex 32)",
			    LINK_SECRET_MIN);
			return -1;
		}
		conf->link_key = xstrdup(conf->link_secret);
		return 0;
	}
	/* None: local download links are off (the master says so at start),
	 * as JWTs are without [auth] jwt_secret, so that a freshly installed
	 * configuration still passes `cofferd -t`. */
	return 0;
}

int
conf_validate_all(struct conf *conf, char *errbuf, size_t errlen)
{
	if (conf_validate(conf, errbuf, errlen) == -1 ||
	    conf_check_public_url(conf->public_url, errbuf, errlen) == -1 ||
	    cors_origins_check(conf->cors_origins, errbuf, errlen) == -1 ||
	    conf_validate_auth(conf, errbuf, errlen) == -1 ||
	    conf_load_link_key(conf, errbuf, errlen) == -1)
		return -1;
	return 0;
}
