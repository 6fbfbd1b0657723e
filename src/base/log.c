/* log.c - one logfmt line per event on stderr: time, level, process, request id, message. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

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

size_t
log_value(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, need;
	const char *p;
	int quote = s[0] == '\0';

	for (p = s; *p != '\0' && !quote; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p >= 0x7f)
			quote = 1;
	if (len == 0)
		return 0;
#define PUT(c) do { if (i + 1 < len) buf[i++] = (c); } while (0)
	if (quote)
		PUT('"');
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		/* Room for the worst escape and the closing quote, or stop. */
		need = c < 0x20 || c == 0x7f ? 4 : c == '"' || c == '\\' ? 2 : 1;
		if (i + need + (quote ? 1 : 0) + 1 > len)
			break;
		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT((char)c);
		} else if (c == '\n') {
			PUT('\\');
			PUT('n');
		} else if (c < 0x20 || c == 0x7f) {
			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		} else
			PUT((char)c);
	}
	if (quote)
		PUT('"');
#undef PUT
	buf[i] = '\0';
	return i;
}

static void
log_vemit(enum log_level lvl, int errnum, const char *fields, const char *fmt, va_list ap)
{
	char msg[1024], val[2200], ts[32];
	struct timespec now;
	struct tm tm;
	size_t n;

	n = (size_t)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	log_value(val, sizeof(val), msg);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line into an unbuffered stderr: lines from many
	 * workers sharing one pipe do not interleave.  The request id is
	 * nginx's $request_id (hex) or ours (digits and '-'): no quoting. */
	fprintf(stderr, "ts=%s.%03ldZ level=%s proc=%s pid=%ld%s%s msg=%s%s%s\n", ts,
	    now.tv_nsec / 1000000, log_level_names[lvl], log_procname, (long)getpid(),
	    log_reqid[0] ? " req=" : "", log_reqid, val, fields ? " " : "",
	    fields ? fields : "");
}

void
log_fields(enum log_level lvl, const char *fields, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(lvl, 0, fields, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_emit(enum log_level lvl, int with_errno, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(lvl, with_errno ? saved : 0, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, saved, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, 0, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
