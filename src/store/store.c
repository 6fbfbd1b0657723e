/* store.c - choosing the storage backend, and the metered wrapper around it. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "daemon/metrics.h"
#include "store/store.h"
#include "base/xmalloc.h"

const struct store_backend *
store_lookup(const struct conf *conf)
{
	switch (conf->storage_type) {
	case STORAGE_LOCAL:
		return &store_local_backend;
	case STORAGE_S3:
		return conf->s3_signature == S3_SIG_V2 ? &store_s3_backend : &store_s3v4_backend;
	default:
		return NULL;
	}
}

/*
 * The wrapper: every call of the interface timed and counted in the
 * scoreboard's metrics, whatever the backend (OpenSMTPD's queue_backend.c
 * wraps its queue the same way).  Its handle holds the real one.
 */
struct store_metered {
	const struct store_backend	*be;
	void				*h;
};

static const struct store_backend *store_metered_inner;
static struct store_backend store_metered_table;

static void
store_metered_done(enum metrics_store_op op, int64_t t0, enum err rc)
{
	metrics_store(op, metrics_now_us() - t0,
	    rc != ERR_OK && !(op == MS_HEAD && rc == ERR_NOTFOUND));
}

static void *
store_metered_open(const struct conf *conf, const char **errstr)
{
	struct store_metered *m;
	void *h;

	if ((h = store_metered_inner->open(conf, errstr)) == NULL)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->be = store_metered_inner;
	m->h = h;
	return m;
}

static void
store_metered_close(void *h)
{
	struct store_metered *m = h;

	if (m == NULL)
		return;
	m->be->close(m->h);
	free(m);
}

static enum err
store_metered_put(void *h, const char *key, const struct store_put *p, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->put(m->h, key, p, errstr);

	store_metered_done(MS_PUT, t0, rc);
	return rc;
}

static enum err
store_metered_head(void *h, const char *key, struct store_stat *st, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->head(m->h, key, st, errstr);

	store_metered_done(MS_HEAD, t0, rc);
	return rc;
}

static enum err
store_metered_del(void *h, const char *key, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->del(m->h, key, errstr);

	store_metered_done(MS_DEL, t0, rc);
	return rc;
}

static enum err
store_metered_list(void *h, const char *prefix, store_list_cb cb, void *arg,
    const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->list(m->h, prefix, cb, arg, errstr);

	store_metered_done(MS_LIST, t0, rc);
	return rc;
}

static enum err
store_metered_ping(void *h, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->ping(m->h, errstr);

	store_metered_done(MS_PING, t0, rc);
	return rc;
}

static enum err
store_metered_presign(void *h, const char *key, int64_t expires_epoch,
    const struct store_presign *over,
    char *url, size_t urllen, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->presign(m->h, key, expires_epoch, over, url, urllen, errstr);

	store_metered_done(MS_PRESIGN, t0, rc);
	return rc;
}

static enum err
store_metered_begin(void *h, const char *key, const struct store_put *p, char *upload_id,
    const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->begin_upload(m->h, key, p, upload_id, errstr);

	store_metered_done(MS_MULTIPART, t0, rc);
	return rc;
}

static enum err
store_metered_part(void *h, const char *key, const char *upload_id, int number, int fd,
    off_t off, off_t len, struct store_part *part, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->upload_part(m->h, key, upload_id, number, fd, off, len, part,
	    errstr);

	store_metered_done(MS_PART, t0, rc);
	return rc;
}

static enum err
store_metered_complete(void *h, const char *key, const char *upload_id,
    const struct store_part *parts, int nparts, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->complete_upload(m->h, key, upload_id, parts, nparts, errstr);

	store_metered_done(MS_MULTIPART, t0, rc);
	return rc;
}

static enum err
store_metered_abort(void *h, const char *key, const char *upload_id, const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->abort_upload(m->h, key, upload_id, errstr);

	store_metered_done(MS_MULTIPART, t0, rc);
	return rc;
}

static enum err
store_metered_list_uploads(void *h, const char *prefix, store_upload_cb cb, void *arg,
    const char **errstr)
{
	struct store_metered *m = h;
	int64_t t0 = metrics_now_us();
	enum err rc = m->be->list_uploads(m->h, prefix, cb, arg, errstr);

	store_metered_done(MS_MULTIPART, t0, rc);
	return rc;
}

const struct store_backend *
store_metered(const struct store_backend *inner)
{
	if (inner == NULL)
		return NULL;
	store_metered_inner = inner;
	store_metered_table = (struct store_backend){
		.name = inner->name,
		.wants_md5 = inner->wants_md5,
		.puts_memory = inner->puts_memory,
		.records_after_put = inner->records_after_put,
		.open = store_metered_open,
		.close = store_metered_close,
		.put = store_metered_put,
		.head = store_metered_head,
		.del = store_metered_del,
		.list = store_metered_list,
		.ping = store_metered_ping,
		/* NULL stays NULL: callers test it to serve downloads themselves. */
		.presign = inner->presign != NULL ? store_metered_presign : NULL,
		/* All five or none (store.h). */
		.begin_upload = inner->begin_upload != NULL ? store_metered_begin : NULL,
		.upload_part = inner->begin_upload != NULL ? store_metered_part : NULL,
		.complete_upload = inner->begin_upload != NULL ? store_metered_complete : NULL,
		.abort_upload = inner->begin_upload != NULL ? store_metered_abort : NULL,
		.list_uploads = inner->begin_upload != NULL ? store_metered_list_uploads : NULL,
	};
	return &store_metered_table;
}
