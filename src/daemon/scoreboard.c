/* scoreboard.c - shared-memory pool status (php-fpm's scoreboard, simplified). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/log.h"
#include "daemon/scoreboard.h"

struct scoreboard *sb;

static const char *const sb_state_names[] = {
	[SB_FREE] = "free", [SB_STARTING] = "starting", [SB_IDLE] = "idle",
	[SB_BUSY] = "busy", [SB_DRAINING] = "draining",
};

void
sb_create(void)
{
	void *p;

	p = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap scoreboard");
	sb = p;
	memset(sb, 0, sizeof(*sb));
	sb->start_time = time(NULL);
	sb->start_mono_ms = sb_now_ms();
}

int64_t
sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned
sb_active(void)
{
	unsigned i, n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		if (__atomic_load_n(&sb->slots[i].state, __ATOMIC_RELAXED) == SB_BUSY)
			n++;
	return n;
}

void
sb_request_begin(int slot, const char *method, const char *uri)
{
	struct sb_slot *s = &sb->slots[slot];
	unsigned active, max;

	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->uri, sizeof(s->uri), "%s", uri);
	__atomic_store_n(&s->req_start_ms, sb_now_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, SB_BUSY, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sb->accepted, 1, __ATOMIC_RELAXED);
	active = sb_active();
	max = __atomic_load_n(&sb->max_active, __ATOMIC_RELAXED);
	while (active > max && !__atomic_compare_exchange_n(&sb->max_active,
	    &max, active, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void
sb_request_end(int slot, int64_t slow_ms)
{
	struct sb_slot *s = &sb->slots[slot];

	if (sb_now_ms() - s->req_start_ms >= slow_ms)
		__atomic_add_fetch(&sb->slow_requests, 1, __ATOMIC_RELAXED);
	s->requests++;
	__atomic_store_n(&s->req_start_ms, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, SB_IDLE, __ATOMIC_RELEASE);
}

struct json_object *
sb_status_json(const char *pool, int full)
{
	struct json_object *o, *procs = NULL, *p;
	unsigned i, idle = 0, busy = 0, total = 0;
	int64_t now = sb_now_ms();

	if (full)
		procs = json_object_new_array();
	for (i = 0; i < SB_SLOTS; i++) {
		struct sb_slot *s = &sb->slots[i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		int64_t rs;

		if (st == SB_FREE)
			continue;
		total++;
		if (st == SB_BUSY)
			busy++;
		else if (st == SB_IDLE)
			idle++;
		if (!full)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "pid", json_object_new_int(s->pid));
		json_object_object_add(p, "generation", json_object_new_int64(s->generation));
		json_object_object_add(p, "state", json_object_new_string(sb_state_names[st]));
		json_object_object_add(p, "requests", json_object_new_int64((int64_t)s->requests));
		json_object_object_add(p, "uptimeSeconds",
		    json_object_new_int64((now - s->started_ms) / 1000));
		rs = __atomic_load_n(&s->req_start_ms, __ATOMIC_RELAXED);
		if (st == SB_BUSY && rs != 0) {
			json_object_object_add(p, "requestMethod", json_object_new_string(s->method));
			json_object_object_add(p, "requestUri", json_object_new_string(s->uri));
			json_object_object_add(p, "requestDurationMs", json_object_new_int64(now - rs));
		}
		json_object_array_add(procs, p);
	}
	o = json_object_new_object();
	json_object_object_add(o, "pool", json_object_new_string(pool));
	json_object_object_add(o, "startTime", json_object_new_int64(sb->start_time));
	json_object_object_add(o, "startSince", json_object_new_int64((now - sb->start_mono_ms) / 1000));
	json_object_object_add(o, "generation", json_object_new_int64(sb->generation));
	json_object_object_add(o, "acceptedConn", json_object_new_int64((int64_t)sb->accepted));
	json_object_object_add(o, "idleProcesses", json_object_new_int(idle));
	json_object_object_add(o, "activeProcesses", json_object_new_int(busy));
	json_object_object_add(o, "totalProcesses", json_object_new_int(total));
	json_object_object_add(o, "maxActiveProcesses", json_object_new_int64(sb->max_active));
	json_object_object_add(o, "respawns", json_object_new_int64((int64_t)sb->respawns));
	json_object_object_add(o, "recycled", json_object_new_int64((int64_t)sb->recycled));
	json_object_object_add(o, "timeouts", json_object_new_int64((int64_t)sb->timeouts));
	json_object_object_add(o, "slowRequests", json_object_new_int64((int64_t)sb->slow_requests));
	json_object_object_add(o, "reloads", json_object_new_int64((int64_t)sb->reloads));
	if (full)
		json_object_object_add(o, "processes", procs);
	return o;
}
