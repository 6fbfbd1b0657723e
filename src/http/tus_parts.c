/* tus_parts.c - a resumable upload's bytes sent to S3 in parts as PATCHes acknowledge them. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/handles.h"
#include "engine/mime.h"
#include "engine/tusparts.h"
#include "http/tus_parts.h"

/* The backend, if it has multipart uploads. */
static int
tus_parts_store(const struct store_backend **store, void **sh)
{
	const char *errstr = NULL;

	return handles_store(store, sh, &errstr) == ERR_OK && (*store)->begin_upload != NULL;
}

/* Abort a multipart upload of upload uid; a failure is logged and left
 * to the reconciler, which aborts what nothing records. */
static enum err
tus_parts_abort_upload(const struct store_backend *store, void *sh, const char *key,
    const char *upload_id, const char *uid)
{
	const char *why = NULL;
	enum err rc = store->abort_upload(sh, key, upload_id, &why);

	if (rc != ERR_OK)
		log_warnx("aborting the multipart upload of %s: %s (the reconciler will)",
		    uid, why ? why : "?");
	return rc;
}

/* Drop upload uid's multipart rows; a failure is logged. */
static void
tus_parts_forget(PGconn *pg, const char *customer_id, const char *uid)
{
	const char *why = NULL;

	if (tusparts_forget(pg, customer_id, uid, &why) != ERR_OK)
		log_warnx("upload %s: forgetting its parts: %s", uid, why ? why : "?");
}

/* Whether mp (parts in number order) holds part n. */
static int
tus_parts_has(const struct tusparts *mp, int n)
{
	int lo = 0, hi = mp->nparts - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (mp->parts[mid].number == n)
			return 1;
		if (mp->parts[mid].number < n)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0;
}

/*
 * Send parts 1..upto that mp lacks, in order, each recorded once S3 holds
 * it; stop at the first failure (ERR_NOTFOUND: the multipart upload is
 * gone, or no longer this upload's).
 */
static enum err
tus_parts_upload(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd, const struct store_backend *store, void *sh,
    const struct tusparts *mp, int upto, const char **errstr)
{
	struct store_part part;
	int64_t off, len;
	enum err rc;
	int n;

	(void)r;	/* only test hooks pause a request */
	for (n = 1; n <= upto; n++) {
		if (tus_parts_has(mp, n))
			continue;
		tusparts_range(u->length, mp->part_size, n, &off, &len);
		if ((rc = store->upload_part(sh, mp->key, mp->upload_id, n, fd, (off_t)off,
		    (off_t)len, &part, errstr)) != ERR_OK)
			return rc;
		req_test_pause(r, "tus-after-part");
		if ((rc = tusparts_add(pg, customer_id, u->id, mp->upload_id, &part,
		    errstr)) != ERR_OK)
			return rc;
		log_debug("upload %s: part %d sent (%" PRId64 " bytes)", u->id, n, len);
	}
	return ERR_OK;
}

/*
 * Begin the multipart upload under the key the acknowledged bytes' type
 * gives (the reservation's key and that type's extension, as the final
 * sniff will, but for ZIP-based types it may settle otherwise), with that
 * Content-Type, and record it.  A type the final sniff will refuse begins
 * nothing.
 */
static enum err
tus_parts_begin(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd, const struct store_backend *store, void *sh,
    int64_t part_size, struct tusparts *mp, const char **errstr)
{
	char mimetype[MIME_TYPE_MAX];
	struct store_put p;
	struct mime *magic;
	enum err rc;

	(void)r;	/* only test hooks pause a request */
	if ((rc = handles_mime(&magic, errstr)) != ERR_OK ||
	    (rc = mime_sniff_fd(magic, fd, 0, (size_t)u->offset, mimetype, sizeof(mimetype),
	    errstr)) != ERR_OK)
		return rc;
	if (!mime_allowed(mimetype, handles_mime_allow())) {
		*errstr = "a type the final sniff refuses";
		return ERR_MIME;
	}
	memset(mp, 0, sizeof(*mp));
	if (u->finalized)
		snprintf(mp->key, sizeof(mp->key), "%s", u->storage_key);
	else
		snprintf(mp->key, sizeof(mp->key), "%s%s", u->storage_key,
		    mime_extension(mimetype));
	snprintf(mp->mime_type, sizeof(mp->mime_type), "%s", mimetype);
	mp->part_size = part_size;
	memset(&p, 0, sizeof(p));
	p.fd = -1;
	p.content_type = mimetype;
	p.original_name = u->original_name;
	if ((rc = store->begin_upload(sh, mp->key, &p, mp->upload_id, errstr)) != ERR_OK)
		return rc;
	req_test_pause(r, "tus-after-begin");
	if ((rc = tusparts_begin(pg, customer_id, u->id, mp->upload_id, mp->key, mimetype,
	    part_size, errstr)) != ERR_OK) {
		/* Gone, expired, or another worker's is recorded: not ours. */
		(void)tus_parts_abort_upload(store, sh, mp->key, mp->upload_id, u->id);
		return rc;
	}
	log_info("upload %s: multipart upload begun as %s (%s)", u->id, mp->key, mimetype);
	return ERR_OK;
}

void
tus_parts_send(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd)
{
	const struct store_backend *store;
	const char *errstr = NULL;
	struct tusparts mp;
	int64_t part_size = r->conf->s3_part_size;
	enum err rc;
	void *sh;

	if (u->offset >= u->length || !tus_parts_store(&store, &sh))
		return;	/* the last chunk: completion sends what is left */
	rc = tusparts_get(pg, customer_id, u->id, &mp, &errstr);
	if (rc == ERR_NOTFOUND) {
		if (!tusparts_wanted(u->length, part_size) ||
		    tusparts_due(u->length, part_size, u->offset) == 0)
			return;
		rc = tus_parts_begin(r, pg, customer_id, u, fd, store, sh, part_size, &mp,
		    &errstr);
	}
	if (rc == ERR_OK)
		rc = tus_parts_upload(r, pg, customer_id, u, fd, store, sh, &mp,
		    tusparts_due(u->length, mp.part_size, u->offset), &errstr);
	if (rc != ERR_OK && rc != ERR_MIME)
		log_warnx("upload %s: parts not sent now (%s); a later PATCH or the completion"
		    " sends them", u->id, errstr ? errstr : err_strerror(rc));
	free(mp.parts);
}

int
tus_parts_begun(PGconn *pg, const char *customer_id, const char *upload_id)
{
	const struct store_backend *store;
	struct tusparts mp;
	void *sh;
	int begun;

	if (!tus_parts_store(&store, &sh))
		return 0;
	begun = tusparts_get(pg, customer_id, upload_id, &mp, NULL) == ERR_OK;
	free(mp.parts);
	return begun;
}

/* Every part 1..n recorded, each of its planned size. */
static int
tus_parts_whole(const struct tusparts *mp, int64_t length, int n)
{
	int64_t off, len;
	int i;

	if (mp->nparts != n)
		return 0;
	for (i = 0; i < n; i++) {
		tusparts_range(length, mp->part_size, i + 1, &off, &len);
		if (mp->parts[i].number != i + 1 || mp->parts[i].size != len)
			return 0;
	}
	return 1;
}

enum err
tus_parts_finish(struct req *r, PGconn *pg, const char *customer_id,
    const struct tus_upload *u, int fd, const char *key, const struct store_put *put,
    const char **errstr)
{
	const struct store_backend *store;
	char upload_id[STORE_UPLOAD_ID_MAX], begun_as[TUS_KEY_MAX + TUS_TEXT_MAX + 4];
	char begun_as_key[TUS_KEY_MAX];
	struct tusparts mp;
	const char *why = NULL;
	enum err rc;
	void *sh;
	int n;

	if (!tus_parts_store(&store, &sh))
		return ERR_NOTFOUND;
	if ((rc = tusparts_get(pg, customer_id, u->id, &mp, errstr)) != ERR_OK)
		return rc;
	/* Kept apart from mp, which is read again below. */
	snprintf(upload_id, sizeof(upload_id), "%s", mp.upload_id);
	snprintf(begun_as_key, sizeof(begun_as_key), "%s", mp.key);
	snprintf(begun_as, sizeof(begun_as), "%s (%s)", mp.key, mp.mime_type);
	if (strcmp(mp.key, key) != 0 || strcmp(mp.mime_type, put->content_type) != 0) {
		why = "its type settled otherwise at the end";
		goto fallback;
	}
	n = tusparts_count(u->length, mp.part_size);
	rc = tus_parts_upload(r, pg, customer_id, u, fd, store, sh, &mp, n, errstr);
	if (rc == ERR_OK) {
		free(mp.parts);
		rc = tusparts_get(pg, customer_id, u->id, &mp, errstr);
	}
	if (rc == ERR_BACKEND || rc == ERR_DB || rc == ERR_NOMEM)
		goto done;	/* unreachable now: try again later */
	if (rc != ERR_OK) {
		/* NoSuchUpload, or a part S3 refuses whatever the retry. */
		why = rc == ERR_NOTFOUND ? "S3 no longer has its multipart upload" :
		    *errstr != NULL ? *errstr : err_strerror(rc);
		goto fallback;
	}
	if (!tus_parts_whole(&mp, u->length, n)) {
		why = "its recorded parts do not make the file";
		goto fallback;
	}
	rc = store->complete_upload(sh, key, mp.upload_id, mp.parts, n, errstr);
	if (rc == ERR_OK) {
		tus_parts_forget(pg, customer_id, u->id);
		log_info("upload %s: stored as %s from %d parts", u->id, key, n);
		goto done;
	}
	if (rc == ERR_BACKEND)
		goto done;	/* unreachable: try again later */
	why = *errstr != NULL ? *errstr : err_strerror(rc);
fallback:
	/* S3 lost it, refused it, or it is under another key: the partial
	 * file has every byte, so the caller stores it the plain way. */
	log_warnx("upload %s: %s (parts went as %s); storing it whole", u->id, why, begun_as);
	(void)tus_parts_abort_upload(store, sh, begun_as_key, upload_id, u->id);
	tus_parts_forget(pg, customer_id, u->id);
	rc = ERR_NOTFOUND;
done:
	free(mp.parts);
	return rc;
}

void
tus_parts_abort(PGconn *pg, const char *customer_id, const char *upload_id)
{
	const struct store_backend *store;
	const char *why = NULL;
	struct tusparts mp;
	void *sh;

	if (!tus_parts_store(&store, &sh) ||
	    tusparts_get(pg, customer_id, upload_id, &mp, &why) != ERR_OK)
		return;
	if (tus_parts_abort_upload(store, sh, mp.key, mp.upload_id, upload_id) == ERR_OK)
		tus_parts_forget(pg, customer_id, upload_id);
	free(mp.parts);
}
