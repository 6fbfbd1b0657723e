/* log.h - leveled, printf-checked logfmt lines on stderr (journald adds the rest). */
#ifndef COFFER_LOG_H
#define COFFER_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

extern enum log_level log_threshold;

/* Set the process name shown in each line ("master", "worker 3"). */
void log_init(const char *procname, enum log_level threshold);
/* Request id (nginx $request_id) added to each line until cleared with NULL. */
void log_set_request_id(const char *id);

/*
 * Every line is logfmt: ts=... level=... proc=... pid=... [req=...]
 * msg="..." [fields].  log_emit() is behind the macros below.
 */
void log_emit(enum log_level lvl, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A line with more fields after msg: fields is logfmt text the caller
 * built, every value through log_value().  Call it behind the same level
 * test as the macros (log_enabled()).
 */
void log_fields(enum log_level lvl, const char *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * s as a logfmt value into buf (len bytes, always NUL-terminated): bare
 * when it has no space, quote, '=', backslash or control byte, else
 * quoted with \" \\ \n \xNN escapes; cut (still well-formed) when buf is
 * short.  Returns the length written.
 */
size_t log_value(char *buf, size_t len, const char *s);
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_enabled(lvl)	((lvl) >= log_threshold)

/* The level test sits in the macro so filtered arguments are not evaluated. */
#define log_at(lvl, e, ...) do {					\
	if ((lvl) >= log_threshold) log_emit((lvl), (e), __VA_ARGS__);	\
} while (0)
#define log_debug(...)	log_at(LOG_LVL_DEBUG, 0, __VA_ARGS__)
#define log_info(...)	log_at(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_warnx(...)	log_at(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_warn(...)	log_at(LOG_LVL_WARN, 1, __VA_ARGS__)
#define log_errorx(...)	log_at(LOG_LVL_ERROR, 0, __VA_ARGS__)
#define log_error(...)	log_at(LOG_LVL_ERROR, 1, __VA_ARGS__)

#endif
