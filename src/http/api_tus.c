/* api_tus.c - resumable uploads over tus 1.0: quota reserved at creation, bytes fsync'd per PATCH, the plain upload's commit at the end. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "base/digest.h"
#include "base/log.h"
#include "base/pool.h"
#include "daemon/metrics.h"
#include "engine/db.h"
#include "engine/handles.h"
#include "engine/metadata.h"
#include "engine/mime.h"
#include "engine/quota.h"
#include "engine/storekey.h"
#include "engine/tus.h"
#include "engine/tusmeta.h"
#include "http/api_tus.h"
#include "http/body.h"
#include "http/resp.h"
#include "http/tus_parts.h"
#include "http/upload.h"
#include "store/partial.h"
#include "store/store.h"

#define TUS_VERSION	"1.0.0"
#define TUS_CTYPE	"application/offset+octet-stream"
#define TUS_LOCATION	"/api/storage/uploads/"
#define TUS_HEADERS	"Tus-Resumable: " TUS_VERSION "\r\n"

/* What every handler has once tus_begin() succeeded. */
struct tus_ctx {
	const struct identity	*id;
	PGconn			*pg;
	char			 dir[4096];	/* partial files */
	const char		*upload_id;	/* canonical; NULL for the collection */
};

/* Protocol version, database, upload id (the router checked the caller). */
static enum err
tus_begin(struct req *r, const struct identity *id, int check_version, struct tus_ctx *c)
{
	const char *v = req_param(r, "HTTP_TUS_RESUMABLE");

	memset(c, 0, sizeof(*c));
	c->id = id;
	/* Every answer from here on, errors included, speaks tus. */
	r->resp_headers = TUS_HEADERS;
	if (check_version && (v == NULL || strcmp(v, TUS_VERSION) != 0)) {
		r->resp_headers = TUS_HEADERS "Tus-Version: " TUS_VERSION "\r\n";
		return req_fail(r, ERR_PRECONDITION, "TUS_VERSION_UNSUPPORTED",
		    "This server speaks tus %s (Tus-Resumable header)", TUS_VERSION);
	}
	if ((c->pg = db_conn()) == NULL)
		return ERR_DB;
	partial_dir(r->conf, c->dir, sizeof(c->dir));
	if (r->nargs == 1) {
		/* Another form of an id is no upload of ours, like another
		 * customer's: 404 either way. */
		if (!storekey_uuid_ok(r->args[0]))
			return req_fail(r, ERR_NOTFOUND, "UPLOAD_NOT_FOUND", "No such upload");
		c->upload_id = r->args[0];
	}
	return ERR_OK;
}

/* A tus number header: 1..18 decimal digits, nothing else. */
static int
tus_number(const char *s, int64_t *out)
{
	size_t n;

	if (s == NULL || (n = strspn(s, "0123456789")) == 0 || n > 18 || s[n] != '\0')
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

/* RFC 9110 IMF-fixdate, as Upload-Expires wants it. */
static const char *
tus_date(struct req *r, int64_t epoch)
{
	char buf[64];
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return pool_strdup(r->pool, buf);
}

/* The headers that say where an upload stands. */
static const char *
tus_state_headers(struct req *r, const struct tus_upload *u)
{
	return pool_printf(r->pool, "Upload-Offset: %" PRId64 "\r\nUpload-Length: %" PRId64
	    "\r\nUpload-Expires: %s\r\n", u->offset, u->length, tus_date(r, u->expires_at));
}

/* ...and, once it is a file, which file. */
static const char *
tus_file_headers(struct req *r, const struct tus_upload *u)
{
	return pool_printf(r->pool, "Upload-Offset: %" PRId64 "\r\nUpload-Length: %" PRId64
	    "\r\nCoffer-File-Id: %s\r\nCoffer-File-Path: %s\r\n", u->length, u->length,
	    u->id, u->storage_key);
}

/* The file, as a plain upload answers it: {"success": true, "data": ...}. */
static void
tus_answer_file(struct req *r, int status, struct json_object *out, const char *headers)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "data", out);
	resp_json(r, status, o, headers);
}

/* End an upload that will never complete: reservation back, partial gone. */
static void
tus_end(struct req *r, struct tus_ctx *c, const char *upload_id)
{
	const char *errstr = NULL;

	tus_parts_abort(c->pg, c->id->customer, upload_id);
	if (tus_drop(c->pg, c->id->customer, upload_id, c->id->user, &errstr) != ERR_OK)
		log_warnx("dropping upload %s: %s (it expires; the reconciler releases it)",
		    upload_id, errstr ? errstr : "?");
	if (partial_remove(c->dir, c->id->customer, upload_id, &errstr) != ERR_OK)
		log_warnx("removing the partial file of %s: %s", upload_id, errstr);
	(void)r;
}

/*
 * Read the upload: 404 if the customer has none with this id; 410 (and
 * ended) once it expired or lost its reservation to the reconciler.
 */
static enum err
tus_load(struct req *r, struct tus_ctx *c, struct tus_upload *u)
{
	const char *errstr = NULL;
	enum err rc;

	rc = tus_get(c->pg, c->id->customer, c->upload_id, u, &errstr);
	if (rc == ERR_NOTFOUND)
		return req_fail(r, ERR_NOTFOUND, "UPLOAD_NOT_FOUND", "No such upload");
	if (rc != ERR_OK) {
		if (rc != ERR_DB)
			log_errorx("reading upload %s: %s", c->upload_id, errstr ? errstr : "?");
		return req_fail(r, rc == ERR_DB ? ERR_DB : ERR_INTERNAL, NULL,
		    "The database is unavailable; try again");
	}
	if (u->expired || (!u->completed && strcmp(u->state, "pending") != 0)) {
		tus_end(r, c, c->upload_id);
		return req_fail(r, ERR_GONE, "UPLOAD_EXPIRED",
		    "This upload expired; its reserved space was released");
	}
	return ERR_OK;
}

/*
 * All bytes are in: the plain upload's commit.  Type from the assembled
 * bytes and the same allowlist, the key of the reservation with the
 * type's extension, SHA-256 of the whole, the object written by the
 * backend's put (a hard link of the partial file on the local backend, an
 * upload of it to S3), then quota_commit(): breakdown, audit, events.
 * A failure of the backend or the database leaves the upload complete
 * but uncommitted, for HEAD or PATCH to finish later.
 */
static enum err
tus_finish(struct req *r, struct tus_ctx *c, struct tus_upload *u, int fd,
    struct json_object **out)
{
	const struct store_backend *store;
	const char *errstr = NULL;
	char mimetype[MIME_TYPE_MAX], key[TUS_KEY_MAX];
	struct store_put put;
	struct store_stat st;
	struct digest dg;
	struct mime *magic;
	void *sh;
	enum err rc;
	int md5;

	*out = NULL;
	if ((rc = handles_mime(&magic, &errstr)) != ERR_OK)
		return req_fail(r, rc, NULL, "type detection unavailable");
	if ((rc = mime_sniff_fd(magic, fd, 0, (size_t)u->length, mimetype, sizeof(mimetype),
	    &errstr)) != ERR_OK) {
		log_warnx("sniffing upload %s: %s", u->id, errstr);
		return req_fail(r, rc, NULL, "cannot read the upload");
	}
	if (!mime_allowed(mimetype, handles_mime_allow())) {
		metrics_reject(MR_MIME);
		tus_end(r, c, u->id);
		req_fail_extra(r, "detectedType", json_object_new_string(mimetype));
		return req_fail(r, ERR_MIME, "MIME_NOT_ALLOWED",
		    "Files of type %s are not allowed", mimetype);
	}
	if ((rc = handles_store(&store, &sh, &errstr)) != ERR_OK) {
		log_warnx("storage backend: %s", errstr);
		return req_fail(r, rc, NULL, "The storage backend is unavailable; try again");
	}
	/* Re-hashed here rather than carried across PATCHes: one pass over
	 * the file at the end (docs/TUS.md has the measurement).  The MD5 of
	 * the whole is for one put's Content-MD5: parts carry their own. */
	md5 = store->wants_md5 && !tus_parts_begun(c->pg, c->id->customer, u->id);
	if (digest_fd(fd, 0, u->length, md5, &dg) != ERR_OK)
		return req_fail(r, ERR_INTERNAL, NULL, "cannot read the upload");
	/* The reservation's key is the final one without its extension. */
	if (u->finalized)
		snprintf(key, sizeof(key), "%s", u->storage_key);
	else
		snprintf(key, sizeof(key), "%s%s", u->storage_key, mime_extension(mimetype));
	if (!u->finalized && (rc = tus_finalize(c->pg, c->id->customer, u->id, key, mimetype,
	    mime_file_type(mimetype), dg.sha256_hex, &errstr)) != ERR_OK) {
		if (rc == ERR_NOTFOUND) {
			tus_end(r, c, u->id);
			return req_fail(r, ERR_GONE, "UPLOAD_EXPIRED",
			    "This upload expired; its reserved space was released");
		}
		return req_fail(r, rc == ERR_DB ? ERR_DB : ERR_INTERNAL, NULL,
		    "The database is unavailable; try again");
	}
	snprintf(u->storage_key, sizeof(u->storage_key), "%s", key);

	memset(&put, 0, sizeof(put));
	put.fd = fd;
	put.offset = 0;
	put.length = u->length;
	put.whole_file = 1;
	put.content_type = mimetype;
	put.md5_base64 = store->wants_md5 ? dg.md5_base64 : NULL;
	put.sha256_hex = dg.sha256_hex;
	put.original_name = u->original_name;
	/* Most of it may be on S3 already, in parts (tus_parts.c). */
	if ((rc = tus_parts_finish(r, c->pg, c->id->customer, u, fd, key, &put,
	    &errstr)) == ERR_NOTFOUND) {
		if (store->wants_md5 && !md5 && digest_fd(fd, 0, u->length, 1, &dg) != ERR_OK)
			return req_fail(r, ERR_INTERNAL, NULL, "cannot read the upload");
		rc = store->put(sh, key, &put, &errstr);
	}
	if (rc == ERR_CONFLICT && store->head(sh, key, &st, &errstr) == ERR_OK &&
	    st.size == u->length)
		rc = ERR_OK;	/* an earlier attempt wrote it, then died */
	if (rc != ERR_OK) {
		log_warnx("writing %s: %s", key, errstr ? errstr : "?");
		return req_fail(r, rc == ERR_BACKEND ? ERR_BACKEND : ERR_INTERNAL,
		    rc == ERR_BACKEND ? "BACKEND_UNAVAILABLE" : NULL,
		    "The storage backend is unavailable; try again");
	}
	req_test_pause(r, "tus-after-put");
	if ((rc = quota_commit(c->pg, c->id->customer, u->id, c->id->user, &errstr)) != ERR_OK) {
		if (rc == ERR_NOTFOUND) {
			/* Released (expired) while we wrote: no file, no object. */
			store->del(sh, key, &errstr);
			tus_end(r, c, u->id);
			return req_fail(r, ERR_GONE, "UPLOAD_EXPIRED",
			    "This upload expired; its reserved space was released");
		}
		log_warnx("committing %s: %s", u->id, errstr ? errstr : "?");
		return req_fail(r, rc == ERR_DB ? ERR_DB : ERR_INTERNAL, NULL,
		    "The database is unavailable; try again");
	}
	if (tus_complete(c->pg, c->id->customer, u->id, &errstr) != ERR_OK)
		log_warnx("marking upload %s completed: %s", u->id, errstr ? errstr : "?");
	if (partial_remove(c->dir, c->id->customer, u->id, &errstr) != ERR_OK)
		log_warnx("removing the partial file of %s: %s", u->id, errstr);
	u->completed = true;
	u->offset = u->length;
	metrics_upload(u->length);
	*out = upload_result(r, c->id->customer, u->id, key, mimetype, u->original_name,
	    u->length, u->charged, dg.sha256_hex);
	return ERR_OK;
}

/*
 * Refuse at once what the whole file would be refused for: when this
 * first chunk holds every byte the final sniff reads (mime.c reads the
 * first MIME_SNIFF_MAX), its verdict is the file's, except for ZIP-based
 * types, which the final sniff settles from the end of the file.
 */
static enum err
tus_sniff_early(struct req *r, struct tus_ctx *c, const struct tus_upload *u, int body,
    off_t len)
{
	char mimetype[MIME_TYPE_MAX];
	const char *errstr = NULL;
	struct mime *magic;
	int64_t need = u->length < MIME_SNIFF_MAX ? u->length : MIME_SNIFF_MAX;

	if (u->offset != 0 || len < need || len == u->length)
		return ERR_OK;	/* not enough yet, or tus_finish() sniffs it all */
	if (handles_mime(&magic, &errstr) != ERR_OK ||
	    mime_sniff_fd(magic, body, 0, (size_t)len, mimetype, sizeof(mimetype),
	    &errstr) != ERR_OK)
		return ERR_OK;	/* the final sniff decides */
	if (mime_allowed(mimetype, handles_mime_allow()) ||
	    strcmp(mimetype, "application/zip") == 0 ||
	    strncmp(mimetype, "application/vnd.openxmlformats-officedocument.", 46) == 0)
		return ERR_OK;
	metrics_reject(MR_MIME);
	tus_end(r, c, u->id);
	req_fail_extra(r, "detectedType", json_object_new_string(mimetype));
	return req_fail(r, ERR_MIME, "MIME_NOT_ALLOWED", "Files of type %s are not allowed",
	    mimetype);
}

/*
 * Append len bytes of body at offset (the client's Upload-Offset) under
 * the upload's lock; the offset is acknowledged (tus_advance()) only once
 * the bytes are fsync'd.  The last chunk finishes the upload (*out is
 * then the file).
 */
static enum err
tus_write(struct req *r, struct tus_ctx *c, struct tus_upload *u, int64_t offset, int body,
    off_t len, struct json_object **out)
{
	const char *errstr = NULL;
	enum err rc;
	int fd = -1;

	*out = NULL;
	if ((rc = partial_open(c->dir, c->id->customer, u->id, 0, &fd, &errstr)) != ERR_OK) {
		if (rc == ERR_NOTFOUND) {
			/* Its bytes are lost (the directory was cleaned):
			 * resuming cannot work, so end it. */
			log_warnx("upload %s has no partial file; ending it", u->id);
			tus_end(r, c, u->id);
			return req_fail(r, ERR_GONE, "UPLOAD_EXPIRED",
			    "This upload's data is gone; start a new upload");
		}
		log_warnx("opening the partial file of %s: %s", u->id, errstr);
		return req_fail(r, rc == ERR_BACKEND ? ERR_BACKEND : ERR_INTERNAL, NULL,
		    "The storage backend is unavailable; try again");
	}
	if ((rc = partial_lock(fd, &errstr)) != ERR_OK) {
		rc = rc == ERR_CONFLICT ? req_fail(r, ERR_CONFLICT, "UPLOAD_LOCKED",
		    "Another request is writing this upload; retry") :
		    req_fail(r, ERR_INTERNAL, NULL, "cannot lock the upload");
		goto done;
	}
	/* Under the lock, the acknowledged offset cannot move: read it again. */
	if ((rc = tus_load(r, c, u)) != ERR_OK)
		goto done;
	if (u->completed || offset != u->offset) {
		req_fail_extra(r, "offset", json_object_new_int64(u->offset));
		rc = req_fail(r, ERR_CONFLICT, "OFFSET_MISMATCH",
		    "Upload-Offset is %" PRId64 "; the upload is at %" PRId64, offset, u->offset);
		goto done;
	}
	if (len > u->length - u->offset) {
		rc = req_fail(r, ERR_TOOBIG, "UPLOAD_LENGTH_EXCEEDED",
		    "The chunk goes past Upload-Length (%" PRId64 " bytes)", u->length);
		goto done;
	}
	if ((rc = tus_sniff_early(r, c, u, body, len)) != ERR_OK)
		goto done;
	if (len > 0) {
		if ((rc = partial_append(fd, (off_t)u->offset, body, 0, len, &errstr)) != ERR_OK) {
			log_warnx("appending to upload %s: %s", u->id, errstr);
			rc = req_fail(r, rc == ERR_BACKEND ? ERR_BACKEND : ERR_INTERNAL,
			    rc == ERR_BACKEND ? "BACKEND_UNAVAILABLE" : NULL,
			    "The storage backend is unavailable; try again");
			goto done;
		}
		req_test_pause(r, "tus-after-write");
		rc = tus_advance(c->pg, c->id->customer, u->id, u->offset, u->offset + len, &errstr);
		if (rc == ERR_CONFLICT) {
			/* Expired or terminated while we wrote. */
			if ((rc = tus_load(r, c, u)) == ERR_OK)
				rc = req_fail(r, ERR_CONFLICT, "OFFSET_MISMATCH",
				    "The upload changed meanwhile; ask where it stands (HEAD)");
			goto done;
		}
		if (rc != ERR_OK) {
			rc = req_fail(r, rc == ERR_DB ? ERR_DB : ERR_INTERNAL, NULL,
			    "The database is unavailable; try again");
			goto done;
		}
		u->offset += len;
		tus_parts_send(r, c->pg, c->id->customer, u, fd);
	}
	if (u->offset == u->length)
		rc = tus_finish(r, c, u, fd, out);
done:
	close(fd);
	return rc;
}

enum err
api_tus_options(struct req *r, const struct identity *id)
{
	struct tus_ctx c;
	enum err rc;

	if ((rc = tus_begin(r, id, 0, &c)) != ERR_OK)
		return rc;
	resp_empty(r, 204, pool_printf(r->pool, "Tus-Version: " TUS_VERSION "\r\n"
	    "Tus-Extension: creation,creation-with-upload,termination,expiration\r\n"
	    "Tus-Max-Size: %" PRId64 "\r\n", r->conf->max_file_size));
	return ERR_OK;
}

enum err
api_tus_create(struct req *r, const struct identity *id)
{
	const char *errstr = NULL, *code = NULL, *ctype, *name;
	char keybuf[TUS_KEY_MAX], objid[QUOTA_ID_LEN], upid[QUOTA_ID_LEN], fmt[QUOTA_FMT_LEN];
	char *metadata = NULL;
	struct quota_refusal why;
	struct quota_upload up;
	struct json_object *out = NULL;
	struct tus_upload u;
	struct storekey key;
	struct tusmeta meta;
	struct tus_ctx c;
	int64_t length;
	uuid_t uu;
	off_t len;
	enum err rc;
	int body, fd;

	if ((rc = tus_begin(r, id, 1, &c)) != ERR_OK)
		return rc;
	if (req_param(r, "HTTP_UPLOAD_DEFER_LENGTH") != NULL)
		return req_fail(r, ERR_BADREQ, "UPLOAD_LENGTH_REQUIRED",
		    "Upload-Defer-Length is not supported: send Upload-Length");
	if (tus_number(req_param(r, "HTTP_UPLOAD_LENGTH"), &length) == -1)
		return req_fail(r, ERR_BADREQ, "UPLOAD_LENGTH_REQUIRED",
		    "Upload-Length must be the file's size in bytes");
	if (length == 0)
		return req_fail(r, ERR_BADREQ, "EMPTY_FILE", "The file is empty");
	if (length > r->conf->max_file_size) {
		quota_format_bytes(r->conf->max_file_size, fmt, sizeof(fmt));
		return req_fail(r, ERR_TOOBIG, "FILE_TOO_LARGE",
		    "The file is larger than the maximum of %s", fmt);
	}
	if (tusmeta_parse(req_param(r, "HTTP_UPLOAD_METADATA"), r->pool, &meta, &errstr) != ERR_OK)
		return req_fail(r, ERR_BADREQ, "INVALID_UPLOAD_METADATA", "%s", errstr);
	/* The seed defaults the category to "documents". */
	if (meta.category == NULL || meta.category[0] == '\0')
		meta.category = "documents";
	if ((rc = storekey_check(handles_taxonomy(), c.id->customer, meta.category,
	    meta.entity_id != NULL && meta.entity_id[0] ? meta.entity_id : NULL,
	    meta.subcategory != NULL && meta.subcategory[0] ? meta.subcategory : NULL,
	    &key, &code, &errstr)) != ERR_OK)
		return req_fail(r, rc, code, "%s", errstr);
	if (meta.metadata != NULL && meta.metadata_len > 0) {
		if (metadata_normalize(meta.metadata, meta.metadata_len, &metadata, &code,
		    &errstr) != ERR_OK)
			return req_fail(r, ERR_BADREQ, code, "%s", errstr);
		pool_cleanup_add(r->pool, free, metadata);
	}
	/* creation-with-upload: the body is the first chunk. */
	if ((rc = body_open(r, &body, &len)) != ERR_OK)
		return rc;
	ctype = req_param(r, "CONTENT_TYPE");
	if (len > 0 && (ctype == NULL || strcmp(ctype, TUS_CTYPE) != 0))
		return req_fail(r, ERR_MIME, "INVALID_UPLOAD_CONTENT_TYPE",
		    "Upload data must be sent as " TUS_CTYPE);
	if (len > length)
		return req_fail(r, ERR_TOOBIG, "UPLOAD_LENGTH_EXCEEDED",
		    "The data goes past Upload-Length (%" PRId64 " bytes)", length);

	/* The key the file will have, but for the extension its bytes decide. */
	uuid_generate_random(uu);
	uuid_unparse_lower(uu, objid);
	if (storekey_format(&key, objid, "", keybuf, sizeof(keybuf), &errstr) != ERR_OK)
		return req_fail(r, ERR_INTERNAL, NULL, "%s", errstr);
	name = upload_name(r, meta.filename);
	memset(&up, 0, sizeof(up));
	up.customer_id = c.id->customer;
	up.storage_key = keybuf;
	up.category = key.category;
	up.subcategory = key.subcategory;
	up.entity_id = key.entity_id[0] ? key.entity_id : NULL;
	up.original_name = name;
	/* Until the bytes are in: the commit writes the sniffed ones. */
	up.mime_type = "application/octet-stream";
	up.file_type = "other";
	up.size = length;
	/* Charged like any upload (quota_charge); the reservation keeps it. */
	up.charged = quota_charge(length, r->conf->charge_metadata && metadata != NULL ?
	    strlen(metadata) : 0, r->conf->charge_block);
	up.uploaded_by = c.id->user;
	up.metadata_json = metadata;
	rc = tus_create(c.pg, &up, r->conf->uploads_expiry_ms / 1000, upid, &why, &errstr);
	if (rc != ERR_OK)
		return upload_refused(r, rc, &why, errstr);
	if ((rc = partial_open(c.dir, c.id->customer, upid, 1, &fd, &errstr)) != ERR_OK) {
		log_warnx("creating the partial file of %s: %s", upid, errstr);
		tus_end(r, &c, upid);
		return req_fail(r, rc == ERR_BACKEND ? ERR_BACKEND : ERR_INTERNAL,
		    rc == ERR_BACKEND ? "BACKEND_UNAVAILABLE" : NULL,
		    "The storage backend is unavailable; try again");
	}
	close(fd);
	c.upload_id = upid;
	if ((rc = tus_load(r, &c, &u)) != ERR_OK)
		return rc;
	if (len > 0 && (rc = tus_write(r, &c, &u, 0, body, len, &out)) != ERR_OK) {
		/* The client learns nothing of this upload: do not keep it. */
		tus_end(r, &c, upid);
		return rc;
	}
	if (out != NULL) {
		tus_answer_file(r, 201, out, pool_printf(r->pool, "Location: " TUS_LOCATION "%s\r\n%s",
		    upid, tus_file_headers(r, &u)));
		return ERR_OK;
	}
	resp_empty(r, 201, pool_printf(r->pool, "Location: " TUS_LOCATION "%s\r\n%s", upid,
	    tus_state_headers(r, &u)));
	return ERR_OK;
}

enum err
api_tus_head(struct req *r, const struct identity *id)
{
	struct json_object *out = NULL;
	const char *errstr = NULL;
	struct tus_upload u;
	struct tus_ctx c;
	enum err rc;
	int fd;

	if ((rc = tus_begin(r, id, 1, &c)) != ERR_OK ||
	    (rc = tus_load(r, &c, &u)) != ERR_OK)
		return rc;
	if (!u.completed && u.offset == u.length) {
		/* Every byte is in, but the commit did not happen (the worker
		 * died, or the backend failed): a client that resumes sees
		 * offset = length and sends nothing more, so finish here. */
		if ((rc = partial_open(c.dir, c.id->customer, u.id, 0, &fd, &errstr)) != ERR_OK)
			return req_fail(r, ERR_INTERNAL, NULL, "cannot read the upload");
		rc = partial_lock(fd, &errstr);
		if (rc == ERR_OK && (rc = tus_load(r, &c, &u)) == ERR_OK && !u.completed)
			rc = tus_finish(r, &c, &u, fd, &out);
		else if (rc == ERR_CONFLICT)
			rc = req_fail(r, ERR_CONFLICT, "UPLOAD_LOCKED",
			    "Another request is writing this upload; retry");
		close(fd);
		json_object_put(out);
		if (rc != ERR_OK)
			return rc;
	}
	resp_empty(r, 200, u.completed ? tus_file_headers(r, &u) : tus_state_headers(r, &u));
	return ERR_OK;
}

enum err
api_tus_patch(struct req *r, const struct identity *id)
{
	struct json_object *out = NULL;
	const char *ctype = req_param(r, "CONTENT_TYPE");
	struct tus_upload u;
	struct tus_ctx c;
	int64_t offset;
	enum err rc;
	off_t len;
	int body;

	if ((rc = tus_begin(r, id, 1, &c)) != ERR_OK)
		return rc;
	if (ctype == NULL || strcmp(ctype, TUS_CTYPE) != 0)
		return req_fail(r, ERR_MIME, "INVALID_UPLOAD_CONTENT_TYPE",
		    "PATCH bodies must be " TUS_CTYPE);
	if (tus_number(req_param(r, "HTTP_UPLOAD_OFFSET"), &offset) == -1)
		return req_fail(r, ERR_BADREQ, "UPLOAD_OFFSET_REQUIRED",
		    "Upload-Offset must be the byte offset this chunk starts at");
	if ((rc = tus_load(r, &c, &u)) != ERR_OK ||
	    (rc = body_open(r, &body, &len)) != ERR_OK)
		return rc;
	if (u.completed) {
		/* A retried last PATCH whose answer was lost. */
		if (offset != u.length)
			return req_fail(r, ERR_CONFLICT, "OFFSET_MISMATCH",
			    "The upload is complete at %" PRId64 " bytes", u.length);
		if (len > 0)
			return req_fail(r, ERR_TOOBIG, "UPLOAD_LENGTH_EXCEEDED",
			    "The upload is complete");
		resp_empty(r, 204, tus_file_headers(r, &u));
		return ERR_OK;
	}
	if ((rc = tus_write(r, &c, &u, offset, body, len, &out)) != ERR_OK)
		return rc;
	if (out != NULL) {
		/* tus answers 204; the last chunk's 200 carries the file as a
		 * plain upload does (tus clients accept any 2xx). */
		tus_answer_file(r, 200, out, tus_file_headers(r, &u));
		return ERR_OK;
	}
	resp_empty(r, 204, tus_state_headers(r, &u));
	return ERR_OK;
}

enum err
api_tus_delete(struct req *r, const struct identity *id)
{
	const char *errstr = NULL;
	struct tus_upload u;
	struct tus_ctx c;
	enum err rc;
	int fd = -1;

	if ((rc = tus_begin(r, id, 1, &c)) != ERR_OK)
		return rc;
	rc = tus_get(c.pg, c.id->customer, c.upload_id, &u, &errstr);
	if (rc == ERR_NOTFOUND)
		return req_fail(r, ERR_NOTFOUND, "UPLOAD_NOT_FOUND", "No such upload");
	if (rc != ERR_OK)
		return req_fail(r, rc == ERR_DB ? ERR_DB : ERR_INTERNAL, NULL,
		    "The database is unavailable; try again");
	/* Not while a PATCH writes it: that one would then commit. */
	if (partial_open(c.dir, c.id->customer, u.id, 0, &fd, &errstr) == ERR_OK &&
	    partial_lock(fd, &errstr) == ERR_CONFLICT) {
		close(fd);
		return req_fail(r, ERR_CONFLICT, "UPLOAD_LOCKED",
		    "A request is writing this upload; retry");
	}
	/* A completed upload's file stays (delete it as a file); only the
	 * upload is forgotten. */
	tus_end(r, &c, u.id);
	if (fd != -1)
		close(fd);
	resp_empty(r, 204, NULL);
	return ERR_OK;
}
