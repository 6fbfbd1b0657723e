/* log.c - one line per event on stderr: time, process, level, request id. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_level log_threshold = LOG_LVL_INFO;
static char log_procname[32] = "cofferd";
static char log_reqid[64];

static const char *const log_level_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *procname, enum log_level threshold)
{
	snprintf(log_procname, sizeof(log_procname), "%s", procname);
	log_threshold = threshold;
}

void
log_set_request_id(const char *id)
{
	if (id == NULL)
		log_reqid[0] = '\0';
	else
		snprintf(log_reqid, sizeof(log_reqid), "%s", id);
}

static void
log_vemit(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	char msg[1024], ts[32];
	struct timespec now;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line into an unbuffered stderr: lines from many
	 * workers sharing one pipe do not interleave. */
	fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s%s%s%s%s%s\n", ts,
	    now.tv_nsec / 1000000, log_procname, (long)getpid(),
	    log_level_names[lvl], log_reqid[0] ? "req=" : "", log_reqid,
	    log_reqid[0] ? " " : "", msg, errnum ? ": " : "",
	    errnum ? strerror(errnum) : "");
}

void
log_emit(enum log_level lvl, int with_errno, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(lvl, with_errno ? saved : 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
