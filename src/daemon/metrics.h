/* metrics.h - counters and histograms in the scoreboard, rendered as Prometheus text. */
#ifndef COFFER_METRICS_H
#define COFFER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every worker adds to one fixed-size block of the shared scoreboard with
 * relaxed atomics; /metrics, served by any worker, reads the sums of all
 * of them.  Nothing grows with traffic: routes come from the router's
 * table, statuses from a fixed list (others count as "other").  Outside a
 * daemon (cofferctl, unit tests: no scoreboard) every call is a no-op.
 */

#define METRICS_ROUTES	48	/* the router's routes, plus one for "unmatched" */
#define METRICS_CODES	24	/* see metrics.c: metrics_codes[], then "other" */
#define METRICS_BUCKETS	16	/* finite bucket bounds, then +Inf */

/* The storage interface's calls, as the metered wrapper (store.c) sees them. */
enum metrics_store_op {
	MS_PUT = 0, MS_HEAD, MS_DEL, MS_LIST, MS_PING, MS_PRESIGN,
	MS_PART,		/* one part of a multipart upload */
	MS_MULTIPART,		/* begin, complete, abort or list multipart uploads */
	MS__COUNT
};

/* Upload refusals counted where they are decided (upload.c). */
enum metrics_reject { MR_QUOTA = 0, MR_MIME, MR__COUNT };

struct metrics_hist {
	uint64_t	 bucket[METRICS_BUCKETS + 1];	/* per bucket, not cumulative; last: +Inf */
	uint64_t	 sum_us;
};

struct metrics_shm {
	uint64_t		 requests[METRICS_ROUTES][METRICS_CODES];
	struct metrics_hist	 request_seconds[METRICS_ROUTES];
	uint64_t		 request_bytes;		/* CONTENT_LENGTH of requests */
	uint64_t		 response_bytes;
	uint64_t		 upload_bytes;		/* bytes of uploads committed */
	uint64_t		 uploads;
	uint64_t		 rejects[MR__COUNT];
	struct metrics_hist	 db_seconds;
	uint64_t		 db_errors;
	struct metrics_hist	 store_seconds[MS__COUNT];
	uint64_t		 store_errors[MS__COUNT];
};

/* A route as /metrics names it (router.c fills these). */
struct metrics_route {
	const char	*method;
	const char	*pattern;
};

/* Microseconds on the monotonic clock. */
int64_t metrics_now_us(void);

/* One request: route index (router_routes()'s count for "unmatched"),
 * HTTP status, duration and bytes. */
void metrics_request(int route, int status, int64_t us, int64_t bytes_in, int64_t bytes_out);

/* One database round trip (db.c) and whether it failed. */
void metrics_db(int64_t us, bool failed);

/* One call of the storage interface and whether it failed (ERR_NOTFOUND
 * from head is an answer, not a failure). */
void metrics_store(enum metrics_store_op op, int64_t us, bool failed);

/* An upload committed, of bytes bytes. */
void metrics_upload(int64_t bytes);

/* An upload refused for its quota (507) or its type (415). */
void metrics_reject(enum metrics_reject why);

/*
 * The Prometheus text exposition (format 0.0.4) of everything above plus
 * the pool's gauges and counters from the scoreboard.  routes has nroutes
 * entries (at most METRICS_ROUTES - 1).  Returns a malloc'ed,
 * NUL-terminated text (caller frees) and its length in *len.
 */
char *metrics_render(const struct metrics_route *routes, int nroutes, size_t *len);

#endif
