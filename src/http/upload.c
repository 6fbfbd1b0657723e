/* upload.c - the upload pipeline: checks, MIME by content, quota, atomic write. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "engine/handles.h"
#include "base/conf.h"
#include "engine/db.h"
#include "base/digest.h"
#include "http/link.h"
#include "base/log.h"
#include "engine/metadata.h"
#include "daemon/metrics.h"
#include "engine/mime.h"
#include "base/pool.h"
#include "engine/quota.h"
#include "store/store.h"
#include "engine/storekey.h"
#include "http/upload.h"

#define UPLOAD_NAME_MAX		255

static const char *
upload_nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}


const char *
upload_name(struct req *r, const char *name)
{
	size_t n;

	if (name == NULL || name[0] == '\0')
		return "upload";
	n = strlen(name);
	if (n <= UPLOAD_NAME_MAX)
		return name;
	/* Cut on a UTF-8 character boundary. */
	n = UPLOAD_NAME_MAX;
	while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
		n--;
	return pool_strndup(r->pool, name, n);
}

static void
upload_free(void *p)
{
	free(p);
}

static enum err
upload_check_metadata(struct req *r, const struct upload_src *src, const char **json)
{
	const char *code, *errstr;
	char *norm;

	*json = NULL;
	if (src->metadata == NULL || src->metadata_len == 0)
		return ERR_OK;
	if (metadata_normalize(src->metadata, src->metadata_len, &norm, &code, &errstr) != ERR_OK)
		return req_fail(r, ERR_BADREQ, code, "%s", errstr);
	pool_cleanup_add(r->pool, upload_free, norm);
	*json = norm;
	return ERR_OK;
}

enum err
upload_check_size(struct req *r, off_t body_len, off_t overhead)
{
	const char *p = req_param(r, "COFFER_MAX_FILE_SIZE");
	int64_t max = r->conf->max_file_size, plan;
	char fmt[QUOTA_FMT_LEN], *end;

	/* Set by nginx from /auth's answer, never from a client header. */
	if (p != NULL && p[0] != '\0') {
		plan = strtoll(p, &end, 10);
		if (*end == '\0' && plan > 0 && plan < max)
			max = plan;
	}
	if (body_len - overhead <= max)
		return ERR_OK;
	req_fail_extra(r, "maxFileSize", json_object_new_int64(max));
	quota_format_bytes(max, fmt, sizeof(fmt));
	return req_fail(r, ERR_TOOBIG, "FILE_TOO_LARGE",
	    "The file is larger than the maximum of %s", fmt);
}

static void
upload_quota_extra(struct req *r, const struct quota_refusal *why)
{
	req_fail_extra(r, "used", json_object_new_int64(why->used));
	req_fail_extra(r, "reserved", json_object_new_int64(why->reserved));
	req_fail_extra(r, "limit", why->unlimited ? NULL : json_object_new_int64(why->limit));
	req_fail_extra(r, "needed", json_object_new_int64(why->needed));
	req_fail_extra(r, "maxFileSize", json_object_new_int64(why->max_file_size));
}

enum err
upload_refused(struct req *r, enum err rc, const struct quota_refusal *why, const char *errstr)
{
	char fmt1[QUOTA_FMT_LEN], fmt2[QUOTA_FMT_LEN];

	switch (rc) {
	case ERR_QUOTA:
		metrics_reject(MR_QUOTA);
		upload_quota_extra(r, why);
		if (why->too_many_files) {
			req_fail_extra(r, "fileCount", json_object_new_int64(why->files));
			req_fail_extra(r, "maxFiles", json_object_new_int64(why->max_files));
			return req_fail(r, ERR_QUOTA, "FILE_COUNT_EXCEEDED",
			    "Your plan allows %" PRId64 " files; delete some first",
			    why->max_files);
		}
		quota_format_bytes(why->used + why->reserved, fmt1, sizeof(fmt1));
		quota_format_bytes(why->limit, fmt2, sizeof(fmt2));
		return req_fail(r, ERR_QUOTA, "QUOTA_EXCEEDED",
		    "Storage quota exceeded. Used: %s / %s", fmt1, fmt2);
	case ERR_TOOBIG:
		upload_quota_extra(r, why);
		quota_format_bytes(why->max_file_size, fmt1, sizeof(fmt1));
		return req_fail(r, ERR_TOOBIG, "FILE_TOO_LARGE",
		    "The file is larger than your plan's maximum of %s", fmt1);
	default:
		return req_fail_engine(r, rc, REQ_CUSTOMER, "recording the upload", errstr);
	}
}

/* Bytes in memory for a backend that reads files: an anonymous file
 * (memfd) holding them, closed with the request. */
static enum err
upload_as_file(struct req *r, struct store_put *put)
{
	int fd;

	if ((fd = memfd_create("coffer-upload", MFD_CLOEXEC)) == -1) {
		log_warn("memfd_create");
		return ERR_SYS;
	}
	pool_cleanup_fd(r->pool, fd);
	if (store_write_all(fd, put->buf, (size_t)put->length) == -1) {
		log_warn("writing the upload to memory");
		return ERR_SYS;
	}
	put->fd = fd;
	put->offset = 0;
	put->buf = NULL;
	return ERR_OK;
}

static enum err
upload_put_failed(struct req *r, enum err rc, const char *key, const char *errstr)
{
	/* put() leaves the object complete or absent, and removes what a
	 * failed S3 PUT may have landed itself: no del() here (on S3 it
	 * would only wait out another round of retries). */
	log_warnx("writing %s: %s", key, errstr ? errstr : "?");
	return req_fail_engine(r, rc, REQ_NONE, "writing the object", errstr);
}

/*
 * Short local writes: the object first (nameless, fsync'd, published,
 * directory fsync'd), then one statement checks the quota and records
 * everything.  A refusal removes the object; a crash in between leaves
 * only an orphan object, which the reconciler removes after its grace.
 */
static enum err
upload_write_record(struct req *r, const struct store_backend *store, void *sh,
    const struct store_put *put, const struct quota_upload *up, PGconn *pg,
    char file_id[QUOTA_ID_LEN])
{
	struct quota_refusal why;
	const char *errstr = NULL;
	enum err rc;

	if ((rc = store->put(sh, up->storage_key, put, &errstr)) != ERR_OK)
		return upload_put_failed(r, rc, up->storage_key, errstr);
	req_test_pause(r, "after-put");
	if ((rc = quota_record(pg, up, file_id, &why, &errstr)) == ERR_OK)
		return ERR_OK;
	/* ERR_DB may mean the connection died after PostgreSQL committed:
	 * then the row needs its object.  Leave it; the reconciler removes
	 * it after its grace period if no row claims it. */
	if (rc != ERR_DB && store->del(sh, up->storage_key, &errstr) != ERR_OK)
		log_warnx("removing refused object %s: %s (the reconciler will)",
		    up->storage_key, errstr ? errstr : "?");
	return upload_refused(r, rc, &why, errstr);
}

/* Long writes (S3): reserve, write, commit; a failed write releases. */
static enum err
upload_reserve_write_commit(struct req *r, const struct identity *id,
    const struct store_backend *store, void *sh, const struct store_put *put,
    const struct quota_upload *up, PGconn *pg, char file_id[QUOTA_ID_LEN])
{
	struct quota_refusal why;
	const char *errstr = NULL;
	enum err rc;

	if ((rc = quota_reserve(pg, up, file_id, &why, &errstr)) != ERR_OK)
		return upload_refused(r, rc, &why, errstr);
	req_test_pause(r, "after-reserve");
	if ((rc = store->put(sh, up->storage_key, put, &errstr)) != ERR_OK) {
		if (quota_release(pg, id->customer, file_id, id->user, &errstr) != ERR_OK)
			log_warnx("releasing %s: %s (the reconciler will)", file_id,
			    errstr ? errstr : "?");
		return upload_put_failed(r, rc, up->storage_key, errstr);
	}
	req_test_pause(r, "after-put");
	if ((rc = quota_commit(pg, id->customer, file_id, id->user, &errstr)) != ERR_OK) {
		log_warnx("committing %s: %s", file_id, errstr ? errstr : "?");
		if (PQstatus(pg) == CONNECTION_OK) {
			/* The server refused: nothing was committed.  The
			 * client hears "failed": make it true. */
			store->del(sh, up->storage_key, &errstr);
			quota_release(pg, id->customer, file_id, id->user, &errstr);
		}
		/* Else the connection died (a database or pooler restart)
		 * with the commit in flight: it may have happened, and
		 * removing the object could leave a stored row without it.
		 * Kept, it settles the pending row for the reconciler. */
		return req_fail_engine(r, rc, REQ_NONE, "committing the upload", NULL);
	}
	return ERR_OK;
}

struct json_object *
upload_result(struct req *r, const char *customer_id, const char *file_id,
    const char *keybuf, const char *mimetype, const char *original_name, int64_t size,
    int64_t charged, const char *sha256_hex)
{
	char when[32];
	const char *url, *code = NULL, *errstr = NULL;
	int64_t url_expires = 0;
	struct link_file lf;
	struct json_object *o;

	/* A download link (the seed's fileUrl).  The upload is done
	 * whatever happens here: a link that cannot be made is null, and
	 * GET /api/storage/files/{id}/url makes another. */
	memset(&lf, 0, sizeof(lf));
	lf.customer_id = customer_id;
	lf.file_id = file_id;
	lf.storage_key = keybuf;
	lf.mime_type = mimetype;
	lf.original_name = original_name;
	if (link_make(r, &lf, LINK_EXPIRES_DEFAULT, &url, &url_expires, &code, &errstr) != ERR_OK) {
		log_warnx("upload %s: no download link: %s", file_id, errstr ? errstr : "?");
		url = NULL;
	}
	link_iso8601(url_expires, when, sizeof(when));

	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "fileId", json_object_new_string(file_id));
	json_object_object_add(o, "filePath", json_object_new_string(keybuf));
	json_object_object_add(o, "fileUrl", url ? json_object_new_string(url) : NULL);
	json_object_object_add(o, "fileUrlExpiresAt", url ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "fileSize", json_object_new_int64(size));
	/* What it costs the quota (quota_charge): used sums these. */
	json_object_object_add(o, "chargedSize", json_object_new_int64(charged));
	json_object_object_add(o, "mimeType", json_object_new_string(mimetype));
	json_object_object_add(o, "fileType", json_object_new_string(mime_file_type(mimetype)));
	json_object_object_add(o, "originalName", json_object_new_string(original_name));
	json_object_object_add(o, "sha256", json_object_new_string(sha256_hex));
	return o;
}

enum err
upload_run(struct req *r, const struct identity *id, const struct upload_src *src,
    struct json_object **out)
{
	const struct store_backend *store;
	const char *errstr = NULL, *code = NULL, *metadata, *ext;
	char mimetype[128], keybuf[512], file_id[QUOTA_ID_LEN], objid[37];
	char fmt1[QUOTA_FMT_LEN];
	struct quota_upload up;
	struct storekey key;
	struct store_put put;
	struct digest dg;
	struct mime *magic;
	uuid_t u;
	void *sh;
	PGconn *pg;
	enum err rc;

	*out = NULL;
	/* 1. What the client said, checked before any byte is read. */
	if ((rc = storekey_check(handles_taxonomy(), id->customer, src->category,
	    upload_nonempty(src->entity_id), upload_nonempty(src->subcategory),
	    &key, &code, &errstr)) != ERR_OK)
		return req_fail(r, rc, code, "%s", errstr);
	if ((rc = upload_check_metadata(r, src, &metadata)) != ERR_OK)
		return rc;
	if (src->length == 0)
		return req_fail(r, ERR_BADREQ, "EMPTY_FILE", "The file is empty");
	if (src->length > r->conf->max_file_size) {
		quota_format_bytes(r->conf->max_file_size, fmt1, sizeof(fmt1));
		return req_fail(r, ERR_TOOBIG, "FILE_TOO_LARGE",
		    "The file is larger than the maximum of %s", fmt1);
	}

	/* 2. The type from the bytes alone. */
	if ((rc = handles_mime(&magic, &errstr)) != ERR_OK)
		return req_fail(r, rc, NULL, "type detection unavailable");
	if (src->mem != NULL)
		rc = mime_sniff_mem(magic, src->mem + src->offset, (size_t)src->length,
		    mimetype, sizeof(mimetype), &errstr);
	else
		rc = mime_sniff_fd(magic, src->fd, src->offset, (size_t)src->length,
		    mimetype, sizeof(mimetype), &errstr);
	if (rc != ERR_OK) {
		log_warnx("sniffing the upload: %s", errstr);
		return req_fail(r, rc, NULL, "cannot read the upload");
	}
	if (!mime_allowed(mimetype, handles_mime_allow())) {
		metrics_reject(MR_MIME);
		req_fail_extra(r, "detectedType", json_object_new_string(mimetype));
		return req_fail(r, ERR_MIME, "MIME_NOT_ALLOWED",
		    "Files of type %s are not allowed", mimetype);
	}
	ext = mime_extension(mimetype);

	/* 3. The object's name: ours, never the client's. */
	uuid_generate_random(u);
	uuid_unparse_lower(u, objid);
	if ((rc = storekey_format(&key, objid, ext, keybuf, sizeof(keybuf), &errstr)) != ERR_OK)
		return req_fail(r, ERR_INTERNAL, NULL, "%s", errstr);
	if ((rc = handles_store(&store, &sh, &errstr)) != ERR_OK) {
		log_warnx("storage backend: %s", errstr);
		return req_fail(r, rc, NULL, "The storage backend is unavailable; try again");
	}
	if ((src->mem != NULL ? digest_mem(src->mem + src->offset, (size_t)src->length,
	    store->wants_md5, &dg) : digest_fd(src->fd, src->offset, src->length,
	    store->wants_md5, &dg)) != ERR_OK)
		return req_fail(r, ERR_INTERNAL, NULL, "cannot read the upload");

	memset(&put, 0, sizeof(put));
	put.fd = src->fd;
	put.buf = src->mem != NULL ? src->mem + src->offset : NULL;
	put.offset = src->offset;
	put.length = src->length;
	put.whole_file = src->whole_file;
	put.content_type = mimetype;
	put.md5_base64 = store->wants_md5 ? dg.md5_base64 : NULL;
	put.sha256_hex = dg.sha256_hex;
	put.original_name = upload_name(r, src->original_name);
	if (put.buf != NULL && !store->puts_memory &&
	    (rc = upload_as_file(r, &put)) != ERR_OK)
		return req_fail(r, rc, NULL, "cannot hold the upload");

	/* 4. Stored and counted: one atomic statement decides, under any
	 * concurrency, whether the upload fits. */
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	memset(&up, 0, sizeof(up));
	up.customer_id = id->customer;
	up.storage_key = keybuf;
	up.category = key.category;
	up.subcategory = key.subcategory;
	up.entity_id = key.entity_id[0] ? key.entity_id : NULL;
	up.original_name = put.original_name;
	up.mime_type = mimetype;
	up.file_type = mime_file_type(mimetype);
	up.size = src->length;
	/* What the file costs: its blocks and its metadata (quota_charge). */
	up.charged = quota_charge(src->length, r->conf->charge_metadata && metadata != NULL ?
	    strlen(metadata) : 0, r->conf->charge_block);
	up.uploaded_by = id->user;
	up.metadata_json = metadata;
	up.sha256 = dg.sha256_hex;
	rc = store->records_after_put ?
	    upload_write_record(r, store, sh, &put, &up, pg, file_id) :
	    upload_reserve_write_commit(r, id, store, sh, &put, &up, pg, file_id);
	if (rc != ERR_OK)
		return rc;

	metrics_upload(src->length);
	*out = upload_result(r, id->customer, file_id, keybuf, mimetype, up.original_name,
	    src->length, up.charged, dg.sha256_hex);
	return ERR_OK;
}
