/* scoreboard.h - pool state in shared memory, written by workers, read by all. */
#ifndef COFFER_SCOREBOARD_H
#define COFFER_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "daemon/metrics.h"

/* Two generations of the largest pool fit at once during a reload. */
#define SB_SLOTS 512

enum sb_state { SB_FREE = 0, SB_STARTING, SB_IDLE, SB_BUSY, SB_DRAINING };

struct sb_slot {
	pid_t		 pid;
	uint32_t	 generation;
	uint32_t	 state;			/* enum sb_state */
	uint64_t	 requests;		/* served by this process */
	int64_t		 started_ms;		/* process start, monotonic */
	int64_t		 req_start_ms;		/* current request, monotonic; 0 idle */
	char		 method[8];
	char		 uri[96];
};

struct scoreboard {
	int64_t		 start_time;		/* master start, epoch seconds */
	int64_t		 start_mono_ms;
	uint32_t	 generation;
	uint32_t	 max_active;
	uint64_t	 accepted;		/* requests accepted, all workers */
	uint64_t	 respawns;		/* workers replaced after dying */
	uint64_t	 recycled;		/* workers replaced after max_requests */
	uint64_t	 timeouts;		/* workers killed by request_timeout */
	uint64_t	 slow_requests;
	uint64_t	 reloads;
	struct metrics_shm metrics;		/* metrics.c: fixed size, summed over workers */
	struct sb_slot	 slots[SB_SLOTS];
};

/* The mapping, shared by the master and its children (set by sb_create). */
extern struct scoreboard *sb;

/* Map an anonymous shared scoreboard; call in the master before forking. */
void sb_create(void);

/* Milliseconds on the monotonic clock. */
int64_t sb_now_ms(void);

/* Worker side: mark the slot's request start/end; counts accepted,
 * max_active and slow requests. */
void sb_request_begin(int slot, const char *method, const char *uri);
void sb_request_end(int slot, int64_t slow_ms);

/* Number of slots currently busy. */
unsigned sb_active(void);

/*
 * A JSON snapshot in the spirit of php-fpm's status page; with full, one
 * object per live worker.  Caller owns the returned object (json_object_put).
 */
struct json_object *sb_status_json(const char *pool, int full);

#endif
