/* link.c - expiring download links: RFC 6266 names, HMAC-SHA256 /dl/ links, presigned URLs. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/handles.h"
#include "base/conf.h"
#include "http/link.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/req.h"
#include "store/store.h"
#include "engine/storekey.h"

/* Presigned S3 URLs carry the percent-encoded disposition: room for it. */
#define LINK_URL_MAX		8192
/* Domain separation: this key signs nothing else, but the format may change. */
#define LINK_SIG_CONTEXT	"coffer-link-v1"

/* RFC 5987 attr-char: what filename* may carry unencoded. */
static int
link_attr_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    strchr("!#$&+-.^_`|~", c) != NULL;
}

int
link_disposition(const char *name, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t o = 0;

	if (name == NULL || name[0] == '\0')
		name = "download";
#define PUT(c) do { if (o + 1 >= len) return -1; buf[o++] = (char)(c); } while (0)
	for (p = (const unsigned char *)"attachment; filename=\""; *p != '\0'; p++)
		PUT(*p);
	/* The fallback: one '_' per character that is not plain, printable
	 * ASCII (a UTF-8 sequence counts once), and for the characters that
	 * user agents treat specially inside the quoted string or a name. */
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p & 0xC0) == 0x80)
			continue;	/* continuation byte of a character already replaced */
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '/' || *p == '%')
			PUT('_');
		else
			PUT(*p);
	}
	for (p = (const unsigned char *)"\"; filename*=UTF-8''"; *p != '\0'; p++)
		PUT(*p);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (link_attr_char(*p))
			PUT(*p);
		else {
			PUT('%');
			PUT(hex[*p >> 4]);
			PUT(hex[*p & 15]);
		}
	}
#undef PUT
	buf[o] = '\0';
	return 0;
}

void
link_sign(const char *key, const char *customer_id, const char *file_id, int64_t exp,
    char out[LINK_SIG_HEX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), LINK_SIG_CONTEXT "\n%s\n%s\n%" PRId64, customer_id,
	    file_id, exp);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, (size_t)n,
	    mac, &maclen) == NULL || maclen * 2 != LINK_SIG_HEX)
		fatalx("link_sign: HMAC-SHA256 failed");
	for (i = 0; i < maclen; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[LINK_SIG_HEX] = '\0';
}

/* Decimal seconds, as link_make() writes them: no sign, no leading zero. */
static int
link_parse_exp(const char *s, int64_t *out)
{
	size_t n = strspn(s, "0123456789");
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18 || s[n] != '\0' || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = v;
	return 0;
}

enum link_verdict
link_verify(const char *key, const char *customer_id, const char *file_id, const char *exp,
    const char *sig, int64_t now, int64_t *exp_out)
{
	char want[LINK_SIG_HEX + 1];
	int64_t e;

	if (key == NULL || key[0] == '\0' || customer_id == NULL || file_id == NULL ||
	    exp == NULL || sig == NULL || !storekey_uuid_ok(customer_id) ||
	    !storekey_uuid_ok(file_id) || link_parse_exp(exp, &e) == -1 ||
	    strlen(sig) != LINK_SIG_HEX ||
	    strspn(sig, "0123456789abcdef") != LINK_SIG_HEX)
		return LINK_INVALID;
	link_sign(key, customer_id, file_id, e, want);
	if (CRYPTO_memcmp(want, sig, LINK_SIG_HEX) != 0)
		return LINK_INVALID;
	if (now > e)
		return LINK_EXPIRED;
	if (exp_out != NULL)
		*exp_out = e;
	return LINK_OK;
}

/* A host name, IPv4 or [IPv6] address as nginx's $host gives it, checked
 * again because it becomes part of a URL we hand out. */
static int
link_host_ok(const char *h)
{
	size_t n, len = strlen(h);

	if (len == 0 || len > 255)
		return 0;
	if (h[0] == '[') {
		n = 1 + strspn(h + 1, "0123456789abcdefABCDEF:.");
		return h[n] == ']' && h[n + 1] == '\0';
	}
	n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	return n == len && h[0] != '.' && h[0] != '-';
}

enum err
link_origin(struct req *r, const char **out, const char **errstr)
{
	const char *scheme, *host, *port;
	char *end;
	long p;

	if (r->conf->public_url[0] != '\0') {
		*out = r->conf->public_url;
		return ERR_OK;
	}
	/* coffer-fastcgi.conf: $scheme, $server_name, $server_port; never the
	 * request's Host.  server_name "_" or a wildcard is no host: links
	 * then need public_url. */
	scheme = req_param(r, "COFFER_LINK_SCHEME");
	host = req_param(r, "COFFER_LINK_HOST");
	port = req_param(r, "COFFER_LINK_PORT");
	if (scheme == NULL || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) ||
	    host == NULL || !link_host_ok(host) || port == NULL)
		goto bad;
	p = strtol(port, &end, 10);
	if (end == port || *end != '\0' || p < 1 || p > 65535)
		goto bad;
	/* The scheme's own port is left out, as browsers write it. */
	if ((p == 443 && strcmp(scheme, "https") == 0) || (p == 80 && strcmp(scheme, "http") == 0))
		*out = pool_printf(r->pool, "%s://%s", scheme, host);
	else
		*out = pool_printf(r->pool, "%s://%s:%ld", scheme, host, p);
	return ERR_OK;
bad:
	log_errorx("link: no [server] public_url and no usable COFFER_LINK_SCHEME, "
	    "COFFER_LINK_HOST (nginx's first server_name), COFFER_LINK_PORT from nginx "
	    "(coffer-fastcgi.conf)");
	*errstr = "Download links are not configured on this server";
	return ERR_BACKEND;
}

void
link_iso8601(int64_t epoch, char *buf, size_t len)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", "");
}

enum err
link_make(struct req *r, const struct link_file *f, int64_t expires_in, const char **url,
    int64_t *expires_at, const char **code, const char **errstr)
{
	const struct store_backend *store;
	struct store_presign o;
	const char *origin;
	char sig[LINK_SIG_HEX + 1], *buf;
	int64_t exp;
	void *sh;
	enum err rc;

	*code = NULL;
	*errstr = NULL;
	if (expires_in < LINK_EXPIRES_MIN || expires_in > LINK_EXPIRES_MAX) {
		*errstr = "link lifetime out of range";
		return ERR_INTERNAL;
	}
	exp = (int64_t)time(NULL) + expires_in;
	if ((rc = handles_store(&store, &sh, errstr)) != ERR_OK) {
		log_warnx("storage backend: %s", *errstr ? *errstr : "?");
		*code = rc == ERR_BACKEND ? "BACKEND_UNAVAILABLE" : NULL;
		*errstr = "The storage backend is unavailable; try again";
		return rc;
	}
	if (store->presign != NULL) {
		buf = pool_alloc(r->pool, LINK_DISPOSITION_MAX + LINK_URL_MAX);
		if (link_disposition(f->original_name, buf, LINK_DISPOSITION_MAX) == -1) {
			log_errorx("link: a name of %zu bytes does not fit a Content-Disposition",
			    strlen(f->original_name));
			*errstr = "the name does not fit a Content-Disposition";
			return ERR_INTERNAL;
		}
		o.content_disposition = buf;
		o.content_type = f->mime_type;
		if ((rc = store->presign(sh, f->storage_key, exp, &o, buf + LINK_DISPOSITION_MAX,
		    LINK_URL_MAX, errstr)) != ERR_OK) {
			log_errorx("presigning %s: %s", f->storage_key, *errstr ? *errstr : "?");
			return ERR_INTERNAL;
		}
		*url = buf + LINK_DISPOSITION_MAX;
		*expires_at = exp;
		return ERR_OK;
	}
	if (r->conf->link_key == NULL) {
		*code = "LINKS_DISABLED";
		*errstr = "Download links are not configured on this server";
		return ERR_BACKEND;
	}
	if ((rc = link_origin(r, &origin, errstr)) != ERR_OK) {
		*code = "LINKS_DISABLED";
		return rc;
	}
	link_sign(r->conf->link_key, f->customer_id, f->file_id, exp, sig);
	*url = pool_printf(r->pool, "%s/dl/%s/%s?exp=%" PRId64 "&sig=%s", origin,
	    f->customer_id, f->file_id, exp, sig);
	*expires_at = exp;
	return ERR_OK;
}
