/* metrics.c - fixed-size counters in the scoreboard, summed across workers, as Prometheus text. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "daemon/metrics.h"
#include "daemon/scoreboard.h"

/* Statuses with a counter of their own; anything else is "other". */
static const int metrics_codes[METRICS_CODES - 1] = {
	200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 409, 413, 415,
	416, 429, 499, 500, 502, 503, 504, 507,
};

/* Bucket bounds in microseconds; 0 ends a list early. */
static const int64_t metrics_request_le[METRICS_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 30000000, 60000000, 120000000,
};
static const int64_t metrics_db_le[METRICS_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000,
};
static const int64_t metrics_store_le[METRICS_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000, 10000000, 30000000,
};

static const char *const metrics_store_ops[MS__COUNT] = {
	[MS_PUT] = "put", [MS_HEAD] = "head", [MS_DEL] = "del", [MS_LIST] = "list",
	[MS_PING] = "ping", [MS_PRESIGN] = "presign", [MS_PART] = "part",
	[MS_MULTIPART] = "multipart",
};

#define ADD(p, n)	__atomic_add_fetch((p), (uint64_t)(n), __ATOMIC_RELAXED)
#define GET(p)		__atomic_load_n((p), __ATOMIC_RELAXED)

int64_t
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
metrics_observe(struct metrics_hist *h, const int64_t *le, int64_t us)
{
	int i;

	if (us < 0)
		us = 0;
	for (i = 0; i < METRICS_BUCKETS && le[i] != 0; i++)
		if (us <= le[i])
			break;
	if (i < METRICS_BUCKETS && le[i] == 0)
		i = METRICS_BUCKETS;
	ADD(&h->bucket[i], 1);
	ADD(&h->sum_us, us);
}

static int
metrics_code_index(int status)
{
	int i;

	for (i = 0; i < METRICS_CODES - 1; i++)
		if (metrics_codes[i] == status)
			return i;
	return METRICS_CODES - 1;
}

void
metrics_request(int route, int status, int64_t us, int64_t bytes_in, int64_t bytes_out)
{
	struct metrics_shm *m;

	if (sb == NULL)
		return;
	m = &sb->metrics;
	if (route < 0 || route >= METRICS_ROUTES)
		route = METRICS_ROUTES - 1;
	ADD(&m->requests[route][metrics_code_index(status)], 1);
	metrics_observe(&m->request_seconds[route], metrics_request_le, us);
	if (bytes_in > 0)
		ADD(&m->request_bytes, bytes_in);
	if (bytes_out > 0)
		ADD(&m->response_bytes, bytes_out);
}

void
metrics_db(int64_t us, bool failed)
{
	if (sb == NULL)
		return;
	metrics_observe(&sb->metrics.db_seconds, metrics_db_le, us);
	if (failed)
		ADD(&sb->metrics.db_errors, 1);
}

void
metrics_store(enum metrics_store_op op, int64_t us, bool failed)
{
	if (sb == NULL || (unsigned)op >= MS__COUNT)
		return;
	metrics_observe(&sb->metrics.store_seconds[op], metrics_store_le, us);
	if (failed)
		ADD(&sb->metrics.store_errors[op], 1);
}

void
metrics_upload(int64_t bytes)
{
	if (sb == NULL)
		return;
	ADD(&sb->metrics.uploads, 1);
	ADD(&sb->metrics.upload_bytes, bytes > 0 ? bytes : 0);
}

void
metrics_reject(enum metrics_reject why)
{
	if (sb == NULL || (unsigned)why >= MR__COUNT)
		return;
	ADD(&sb->metrics.rejects[why], 1);
}

/* ---- rendering ------------------------------------------------------------ */

static void
metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_scalar(FILE *fp, const char *name, const char *type, const char *help, uint64_t v)
{
	metrics_head(fp, name, type, help);
	fprintf(fp, "%s %" PRIu64 "\n", name, v);
}

/* One histogram series: cumulative buckets, _sum, _count; labels is
 * "a=\"b\"" or "". */
static void
metrics_hist_series(FILE *fp, const char *name, const char *labels,
    const struct metrics_hist *h, const int64_t *le)
{
	const char *sep = labels[0] ? "," : "";
	char set[300];
	uint64_t cum = 0;
	int i;

	for (i = 0; i < METRICS_BUCKETS && le[i] != 0; i++) {
		cum += GET(&h->bucket[i]);
		fprintf(fp, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep,
		    (double)le[i] / 1e6, cum);
	}
	for (; i <= METRICS_BUCKETS; i++)
		cum += GET(&h->bucket[i]);
	fprintf(fp, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
	snprintf(set, sizeof(set), "%s%s%s", labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
	fprintf(fp, "%s_sum%s %.6f\n", name, set, (double)GET(&h->sum_us) / 1e6);
	fprintf(fp, "%s_count%s %" PRIu64 "\n", name, set, cum);
}

static uint64_t
metrics_hist_count(const struct metrics_hist *h)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i <= METRICS_BUCKETS; i++)
		n += GET(&h->bucket[i]);
	return n;
}

static void
metrics_render_http(FILE *fp, const struct metrics_route *routes, int nroutes)
{
	const struct metrics_shm *m = &sb->metrics;
	char labels[256], code[16];
	const char *method, *pattern;
	int i, c;
	uint64_t v;

	metrics_head(fp, "coffer_http_requests_total", "counter",
	    "Requests answered, by route and status.");
	for (i = 0; i <= nroutes; i++) {
		method = i < nroutes ? routes[i].method : "*";
		pattern = i < nroutes ? routes[i].pattern : "unmatched";
		for (c = 0; c < METRICS_CODES; c++) {
			if ((v = GET(&m->requests[i][c])) == 0)
				continue;
			if (c < METRICS_CODES - 1)
				snprintf(code, sizeof(code), "%d", metrics_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			fprintf(fp, "coffer_http_requests_total{method=\"%s\",route=\"%s\","
			    "code=\"%s\"} %" PRIu64 "\n", method, pattern, code, v);
		}
	}
	metrics_head(fp, "coffer_http_request_duration_seconds", "histogram",
	    "Time from accepting a request to its last byte, by route.");
	for (i = 0; i <= nroutes; i++) {
		const struct metrics_hist *h =
		    &m->request_seconds[i];

		if (metrics_hist_count(h) == 0)
			continue;
		snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"",
		    i < nroutes ? routes[i].method : "*",
		    i < nroutes ? routes[i].pattern : "unmatched");
		metrics_hist_series(fp, "coffer_http_request_duration_seconds", labels, h,
		    metrics_request_le);
	}
	metrics_scalar(fp, "coffer_http_request_bytes_total", "counter",
	    "Request body bytes announced (Content-Length).", GET(&m->request_bytes));
	metrics_scalar(fp, "coffer_http_response_bytes_total", "counter",
	    "Response body bytes written.", GET(&m->response_bytes));
	metrics_scalar(fp, "coffer_uploads_total", "counter",
	    "Uploads committed.", GET(&m->uploads));
	metrics_scalar(fp, "coffer_upload_bytes_total", "counter",
	    "Bytes of the uploads committed.", GET(&m->upload_bytes));
	metrics_scalar(fp, "coffer_quota_rejections_total", "counter",
	    "Uploads refused for the quota (507).", GET(&m->rejects[MR_QUOTA]));
	metrics_scalar(fp, "coffer_mime_rejections_total", "counter",
	    "Uploads refused for their detected type (415).", GET(&m->rejects[MR_MIME]));
}

static void
metrics_render_deps(FILE *fp)
{
	const struct metrics_shm *m = &sb->metrics;
	char labels[64];
	int i;

	metrics_head(fp, "coffer_db_query_duration_seconds", "histogram",
	    "PostgreSQL round trips (statements and transaction commands).");
	metrics_hist_series(fp, "coffer_db_query_duration_seconds", "", &m->db_seconds,
	    metrics_db_le);
	metrics_scalar(fp, "coffer_db_errors_total", "counter",
	    "PostgreSQL round trips that failed.", GET(&m->db_errors));
	metrics_head(fp, "coffer_backend_request_duration_seconds", "histogram",
	    "Calls of the storage backend, by operation.");
	for (i = 0; i < MS__COUNT; i++) {
		snprintf(labels, sizeof(labels), "op=\"%s\"", metrics_store_ops[i]);
		metrics_hist_series(fp, "coffer_backend_request_duration_seconds", labels,
		    &m->store_seconds[i], metrics_store_le);
	}
	metrics_head(fp, "coffer_backend_errors_total", "counter",
	    "Calls of the storage backend that failed (not found is no failure).");
	for (i = 0; i < MS__COUNT; i++)
		fprintf(fp, "coffer_backend_errors_total{op=\"%s\"} %" PRIu64 "\n",
		    metrics_store_ops[i], GET(&m->store_errors[i]));
}

static void
metrics_render_pool(FILE *fp)
{
	static const char *const states[] = { "starting", "idle", "busy", "draining" };
	unsigned n[SB_DRAINING + 1] = { 0 }, i;
	uint32_t st;

	for (i = 0; i < SB_SLOTS; i++) {
		st = __atomic_load_n(&sb->slots[i].state, __ATOMIC_ACQUIRE);
		if (st <= SB_DRAINING)
			n[st]++;
	}
	metrics_head(fp, "coffer_pool_workers", "gauge", "Worker processes by state.");
	for (i = 0; i < 4; i++)
		fprintf(fp, "coffer_pool_workers{state=\"%s\"} %u\n", states[i],
		    n[i + SB_STARTING]);
	metrics_scalar(fp, "coffer_pool_busy_workers", "gauge",
	    "Workers serving a request now.", n[SB_BUSY]);
	metrics_scalar(fp, "coffer_pool_idle_workers", "gauge",
	    "Workers waiting for a request.", n[SB_IDLE]);
	metrics_scalar(fp, "coffer_pool_max_active_workers", "gauge",
	    "Most workers busy at once since the start.", GET(&sb->max_active));
	metrics_scalar(fp, "coffer_pool_accepted_requests_total", "counter",
	    "Requests accepted by all workers.", GET(&sb->accepted));
	metrics_scalar(fp, "coffer_pool_respawns_total", "counter",
	    "Workers replaced after dying.", GET(&sb->respawns));
	metrics_scalar(fp, "coffer_pool_recycled_total", "counter",
	    "Workers replaced after max_requests.", GET(&sb->recycled));
	metrics_scalar(fp, "coffer_pool_timeouts_total", "counter",
	    "Workers killed by request_timeout.", GET(&sb->timeouts));
	metrics_scalar(fp, "coffer_pool_slow_requests_total", "counter",
	    "Requests slower than slow_request.", GET(&sb->slow_requests));
	metrics_scalar(fp, "coffer_pool_reloads_total", "counter",
	    "Configuration reloads.", GET(&sb->reloads));
	metrics_scalar(fp, "coffer_pool_generation", "gauge",
	    "The configuration generation being served.", GET(&sb->generation));
	metrics_scalar(fp, "coffer_start_time_seconds", "gauge",
	    "When the master started, in seconds since the epoch.", (uint64_t)sb->start_time);
}

char *
metrics_render(const struct metrics_route *routes, int nroutes, size_t *len)
{
	char *buf = NULL;
	FILE *fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		fatal("open_memstream");
	if (sb != NULL) {
		if (nroutes > METRICS_ROUTES - 1)
			nroutes = METRICS_ROUTES - 1;
		metrics_render_http(fp, routes, nroutes);
		metrics_render_deps(fp);
		metrics_render_pool(fp);
	}
	if (fclose(fp) != 0 || buf == NULL)
		fatalx("rendering metrics: out of memory");
	return buf;
}
