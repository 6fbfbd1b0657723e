/* link.h - expiring download links: presigned by the backend, or signed here for /dl/. */
#ifndef COFFER_LINK_H
#define COFFER_LINK_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct req;

#define LINK_EXPIRES_MIN	1
#define LINK_EXPIRES_MAX	604800		/* 7 days, as S3's own presigned URLs */
#define LINK_EXPIRES_DEFAULT	3600
#define LINK_SIG_HEX		64		/* HMAC-SHA256, lower-case hex */
/* Room for the Content-Disposition of any stored name (at most 255 bytes:
 * a 255-byte fallback and 3 x 255 percent-encoded, plus the syntax). */
#define LINK_DISPOSITION_MAX	1200

/* The stored file a link is for; strings borrowed. */
struct link_file {
	const char	*customer_id;
	const char	*file_id;
	const char	*storage_key;
	const char	*mime_type;	/* sniffed at upload */
	const char	*original_name;
	bool		 active;	/* the customer is not suspended */
};

enum link_verdict { LINK_OK = 0, LINK_INVALID, LINK_EXPIRED };

/*
 * The Content-Disposition of a download named name (RFC 6266):
 * attachment; filename="<fallback>"; filename*=UTF-8''<name percent-encoded>.
 * The fallback is the name with every non-ASCII character, control
 * character, quote, backslash, slash and percent sign replaced by '_'; an
 * empty name is "download".  The result is printable ASCII.  Returns 0, or
 * -1 when len is too small (LINK_DISPOSITION_MAX suffices for any name of
 * up to 255 bytes).
 */
int link_disposition(const char *name, char *buf, size_t len);

/*
 * The signature of a /dl/ link: HMAC-SHA256 under key over
 * "coffer-link-v1\n<customer>\n<file id>\n<exp>" as lower-case hex.
 */
void link_sign(const char *key, const char *customer_id, const char *file_id, int64_t exp,
    char out[LINK_SIG_HEX + 1]);

/*
 * Judge a /dl/ link from its parts as received: customer and file id
 * canonical UUIDs, exp decimal seconds since the epoch without sign or
 * leading zeros, sig LINK_SIG_HEX lower-case hex digits, compared in
 * constant time.  LINK_INVALID for anything malformed or a signature that
 * does not match (checked first, so a changed expiry is INVALID, never
 * EXPIRED); LINK_EXPIRED when genuine but now > exp.  *exp_out (may be
 * NULL) gets the expiry of a LINK_OK link.
 */
enum link_verdict link_verify(const char *key, const char *customer_id, const char *file_id,
    const char *exp, const char *sig, int64_t now, int64_t *exp_out);

/*
 * Where links to this service start: [server] public_url, else
 * scheme://host[:port] from the COFFER_LINK_SCHEME, COFFER_LINK_HOST and
 * COFFER_LINK_PORT params nginx sets (coffer-fastcgi.conf: $scheme,
 * $server_name, $server_port; the scheme's default port is left out), never
 * from the request's Host.  *out is in the request pool.  ERR_BACKEND
 * (logged; *errstr, static, for people) when they are missing or malformed
 * (server_name "_"): a deployment error; link_make() calls it
 * LINKS_DISABLED.  Nothing is recorded in r.
 */
enum err link_origin(struct req *r, const char **out, const char **errstr);

/*
 * A download link for f, valid for expires_in seconds from now: the
 * backend's presigned URL (carrying f's Content-Type and name) when it has
 * presign, else origin/dl/<customer>/<file id>?exp=<epoch>&sig=<hex>.
 * *url is in the request pool; *expires_at is absolute.  Errors come
 * with *code (a machine code or NULL for rc's default) and *errstr (static
 * or in the backend's handle; for people) saying why, nothing recorded in
 * r: ERR_BACKEND (no backend handle: BACKEND_UNAVAILABLE; no link key for
 * a local backend, or no origin: LINKS_DISABLED), ERR_INTERNAL (a
 * lifetime out of range, or the backend could not sign); all but a missing
 * link key are logged here.
 */
enum err link_make(struct req *r, const struct link_file *f, int64_t expires_in,
    const char **url, int64_t *expires_at, const char **code, const char **errstr);

/* ISO 8601 UTC ("2024-05-01T12:00:00Z") of epoch into buf (21 bytes or more). */
void link_iso8601(int64_t epoch, char *buf, size_t len);

#endif
