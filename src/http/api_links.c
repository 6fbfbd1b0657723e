/* api_links.c - GET /api/storage/files/{id}/url, and GET /dl/ answered with X-Accel-Redirect. */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "http/api_links.h"
#include "base/conf.h"
#include "http/files.h"
#include "engine/identity.h"
#include "http/link.h"
#include "base/log.h"
#include "base/pool.h"
#include "http/querystring.h"
#include "http/resp.h"

/* Where nginx serves local objects from (internal; coffer-site.conf.in). */
#define OBJECTS_LOCATION	"/_objects/"

/* The stored file a link names, its failure told as the API tells it.  A
 * suspended customer's files get no links and its links serve nothing
 * (docs/AUTH.md, "Suspended customers"). */
static enum err
api_links_ref(struct req *r, const char *customer_id, const char *file_id,
    struct link_file *f)
{
	const char *errstr = NULL;
	enum err rc = files_link_ref(r, customer_id, file_id, f, &errstr);

	if (rc != ERR_OK)
		return req_fail_engine(r, rc, REQ_FILE, "looking up a link's file", errstr);
	if (!f->active)
		return req_fail(r, ERR_FORBIDDEN, "CUSTOMER_SUSPENDED",
		    "This storage account is suspended");
	return ERR_OK;
}

enum err
api_links_url(struct req *r, const struct identity *id)
{
	struct json_object *o;
	struct link_file f;
	const char *url, *code, *errstr;
	char when[32];
	long long expires_in;
	int64_t exp;
	enum err rc;

	if ((rc = querystring_get_int(r, "expiresIn", LINK_EXPIRES_MIN, LINK_EXPIRES_MAX,
	    LINK_EXPIRES_DEFAULT, &expires_in)) != ERR_OK)
		return rc;
	if ((rc = api_links_ref(r, id->customer, r->args[0], &f)) != ERR_OK)
		return rc;
	if ((rc = link_make(r, &f, expires_in, &url, &exp, &code, &errstr)) != ERR_OK)
		return req_fail(r, rc, code, "%s", errstr);
	link_iso8601(exp, when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "expiresAt", json_object_new_string(when));
	json_object_object_add(o, "expiresIn", json_object_new_int64(expires_in));
	resp_ok(r, o);
	return ERR_OK;
}

/* A storage key nginx may be sent to: our own format (storekey.c), checked
 * again because it goes into a header and becomes a path under the root. */
static int
api_links_key_ok(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && n < 1024 && key[0] != '/' && strstr(key, "..") == NULL &&
	    strstr(key, "//") == NULL &&
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/") == n;
}

/* A MIME type as libmagic names them: type/subtype of RFC 6838 characters. */
static int
api_links_mime_ok(const char *t)
{
	size_t n = strlen(t);

	return n > 2 && n < 128 && strchr(t, '/') != NULL &&
	    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-/") == n;
}

/*
 * The link is the credential: no auth_request in front of /dl/.  The
 * signature is checked before anything else (a forged link costs one
 * HMAC, no database round trip), then the expiry, then the file must
 * still be stored (a deleted file's links die with it) and its customer
 * not suspended (the same round trip).  nginx then sends
 * the bytes from its internal /_objects/ location with sendfile.
 */
enum err
api_links_download(struct req *r, const struct identity *id)
{
	const char *exp_s = NULL, *sig = NULL;
	char cd[LINK_DISPOSITION_MAX];
	struct link_file f;
	int64_t now = (int64_t)time(NULL), exp = 0;
	enum err rc;

	(void)id;	/* none: the link is the credential */
	/* Only the local backend's links come here; S3 links go to S3. */
	if (r->conf->storage_type != STORAGE_LOCAL || r->conf->link_key == NULL)
		return req_fail(r, ERR_NOTFOUND, NULL, "No such endpoint");
	if (querystring_get(r, "exp", &exp_s) != ERR_OK || querystring_get(r, "sig", &sig) != ERR_OK)
		exp_s = sig = NULL;	/* malformed or repeated: not a link we made */
	switch (link_verify(r->conf->link_key, r->args[0], r->args[1], exp_s, sig, now, &exp)) {
	case LINK_OK:
		break;
	case LINK_EXPIRED:
		return req_fail(r, ERR_FORBIDDEN, "LINK_EXPIRED", "This download link has expired");
	default:
		return req_fail(r, ERR_FORBIDDEN, "LINK_INVALID", "This download link is not valid");
	}
	if ((rc = api_links_ref(r, r->args[0], r->args[1], &f)) != ERR_OK)
		return rc;
	if (!api_links_key_ok(f.storage_key) || !api_links_mime_ok(f.mime_type) ||
	    link_disposition(f.original_name, cd, sizeof(cd)) == -1) {
		log_errorx("download of %s refused: unexpected key, type or name in its row",
		    f.file_id);
		return req_fail(r, ERR_INTERNAL, NULL, "cannot serve this file");
	}
	/* The browser may keep it as long as the link would let it fetch it
	 * again; no shared cache may keep it at all. */
	resp_accel(r, pool_printf(r->pool, OBJECTS_LOCATION "%s", f.storage_key),
	    pool_printf(r->pool,
	    "Content-Type: %s\r\n"
	    "Content-Disposition: %s\r\n"
	    "Cache-Control: private, max-age=%" PRId64 "\r\n",
	    f.mime_type, cd, exp - now));
	return ERR_OK;
}
