/* worker.c - the accept/serve loop of one pool process. */
#include "config.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/handles.h"
#include "engine/db.h"
#include "engine/identity.h"
#include "base/log.h"
#include "daemon/metrics.h"
#include "base/pool.h"
#include "http/req.h"
#include "http/router.h"
#include "daemon/scoreboard.h"
#include "daemon/worker.h"

static volatile sig_atomic_t worker_term;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_term = 1;
}

/*
 * SIGTERM is blocked except inside ppoll(): it can then only interrupt the
 * idle wait, never a read or write of a request in progress (libfcgi treats
 * EINTR as a broken connection).  The master orchestrates SIGINT, SIGQUIT
 * and SIGHUP; a terminal's Ctrl-C must not kill requests mid-flight.
 */
static void
worker_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = worker_on_term;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
}

static const char *
worker_path(struct req *r)
{
	const char *p = req_param(r, "COFFER_PATH");
	const char *uri, *q;

	/* COFFER_PATH: the path before nginx's own rewrite to a location
	 * of the site's (small uploads), else nginx's decoded URI. */
	if (p != NULL && p[0] == '/')
		return p;
	p = req_param(r, "DOCUMENT_URI");
	if (p != NULL && p[0] == '/')
		return p;
	if ((uri = req_param(r, "REQUEST_URI")) == NULL || uri[0] != '/')
		return "/";
	q = strchr(uri, '?');
	return q ? pool_strndup(r->pool, uri, (size_t)(q - uri)) : uri;
}

/* The request's body size as nginx announced it (0 without one). */
static int64_t
worker_bytes_in(const struct req *r)
{
	const char *v = req_param(r, "CONTENT_LENGTH");
	long long n;

	if (v == NULL || v[0] == '\0')
		return 0;
	n = strtoll(v, NULL, 10);
	return n > 0 ? (int64_t)n : 0;
}

/*
 * The one line per request, logfmt (docs/OPERATIONS.md).  Every value is
 * ours or escaped; none can carry a credential: no query string, no
 * header, only the path nginx decoded and the identity /auth established.
 */
static void
worker_log_request(const struct req *r, int64_t us, int64_t bytes_in)
{
	enum log_level lvl = r->status >= 500 ? LOG_LVL_WARN : LOG_LVL_INFO;
	char fields[1200], method[40], path[700], route[120];

	if (!log_enabled(lvl))
		return;
	log_value(method, sizeof(method), r->method);
	log_value(path, sizeof(path), r->path);
	log_value(route, sizeof(route), r->route ? r->route : "-");
	snprintf(fields, sizeof(fields), "method=%s route=%s path=%s status=%d customer=%s "
	    "role=%s bytes_in=%lld bytes_out=%zu duration_ms=%.3f", method, route, path,
	    r->status, r->identity && r->identity->customer[0] ? r->identity->customer : "-",
	    r->identity ? identity_role_name(r->identity->role) : "-", (long long)bytes_in,
	    r->bytes_out, (double)us / 1000.0);
	log_fields(lvl, fields, "request");
}

static void
worker_handle(FCGX_Request *fr, const struct conf *conf, int slot)
{
	struct req r;
	const char *v;
	int64_t t0 = metrics_now_us(), us, bytes_in;

	memset(&r, 0, sizeof(r));
	r.fcgx = fr;
	r.pool = pool_new();
	r.conf = conf;
	r.start_ms = sb_now_ms();
	r.method = (v = req_param(&r, "REQUEST_METHOD")) ? v : "GET";
	r.path = worker_path(&r);
	r.query = (v = req_param(&r, "QUERY_STRING")) ? v : "";
	if ((v = req_param(&r, "REQUEST_ID")) != NULL && v[0] != '\0')
		r.request_id = v;
	else
		r.request_id = pool_printf(r.pool, "%ld-%llu", (long)getpid(),
		    (unsigned long long)sb->slots[slot].requests);
	log_set_request_id(r.request_id);
	sb_request_begin(slot, r.method, r.path);

	router_dispatch(&r);

	us = metrics_now_us() - t0;
	bytes_in = worker_bytes_in(&r);
	metrics_request(r.route_id, r.status, us, bytes_in, (int64_t)r.bytes_out);
	worker_log_request(&r, us, bytes_in);
	sb_request_end(slot, conf->slow_request_ms);
	log_set_request_id(NULL);
	pool_free(r.pool);
}

void
worker_main(const struct conf *conf, int listen_fd, int ctl_fd, int slot)
{
	struct pollfd pfd[2];
	FCGX_Request fr;
	sigset_t waitmask;
	int64_t served = 0;
	int rc, code = 0;
	char name[32];

	worker_signals(&waitmask);
	snprintf(name, sizeof(name), "cofferd-worker-%d", slot);
	log_init(name, (enum log_level)conf->log_level);
	sb->slots[slot].pid = getpid();

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0)
		fatalx("FCGX_InitRequest failed");
	/* Connections are opened here, after fork(), never in the master. */
	db_init(conf);
	handles_init(conf);
	__atomic_store_n(&sb->slots[slot].state, SB_IDLE, __ATOMIC_RELEASE);

	for (;;) {
		if (worker_term)
			break;
		if (conf->max_requests > 0 && served >= conf->max_requests) {
			log_debug("served %lld requests; recycling", (long long)served);
			code = WORKER_EXIT_RECYCLE;
			break;
		}
		pfd[0].fd = listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctl_fd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (ppoll(pfd, 2, NULL, &waitmask) == -1) {
			if (errno == EINTR)
				continue;
			fatal("ppoll");
		}
		if (pfd[1].revents != 0)
			break;	/* the master closed our pipe: drain, or it died */
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		rc = FCGX_Accept_r(&fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
		    rc == -ECONNABORTED)
			continue;	/* another worker took it */
		if (rc < 0) {
			log_errorx("FCGX_Accept_r failed: %s", strerror(-rc));
			code = 1;
			break;
		}
		worker_handle(&fr, conf, slot);
		FCGX_Finish_r(&fr);
		served++;
	}
	__atomic_store_n(&sb->slots[slot].state, SB_DRAINING, __ATOMIC_RELEASE);
	handles_close();
	db_close();
	exit(code);
}
