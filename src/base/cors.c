/* cors.c - [server] cors_origins: the exact web origins allowed cross-origin. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/cors.h"

/*
 * One origin of [server] cors_origins: "http(s)://host[:port]" exactly as a
 * browser sends it (lower case, no path, no trailing slash), so nginx can
 * match the Origin header against it byte for byte; the characters allowed
 * also keep it inert inside nginx's configuration.  No wildcard: "*" would
 * let every site on the web use a token it got hold of.
 */
static bool
cors_origin_ok(const char *o, size_t len)
{
	size_t i = 0, host, n;

	if (len > 8 && strncmp(o, "https://", 8) == 0)
		i = 8;
	else if (len > 7 && strncmp(o, "http://", 7) == 0)
		i = 7;
	else
		return false;
	host = i;
	if (o[i] == '[') {		/* an IPv6 literal */
		i++;
		while (i < len && o[i] != ']' && strchr("0123456789abcdef:.", o[i]) != NULL)
			i++;
		if (i >= len || o[i] != ']')
			return false;
		i++;
	} else {
		while (i < len && strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", o[i]) != NULL)
			i++;
		if (i == host || o[host] == '.' || o[host] == '-' || o[i - 1] == '.')
			return false;
	}
	if (i < len && o[i] == ':') {
		n = ++i;
		while (i < len && o[i] >= '0' && o[i] <= '9')
			i++;
		if (i == n || i - n > 5)
			return false;
	}
	return i == len;
}

int
cors_origins_next(const char **p, const char **origin, size_t *len)
{
	const char *s = *p;

	s += strspn(s, " \t,");
	if (*s == '\0')
		return 0;
	*origin = s;
	*len = strcspn(s, " \t,");
	*p = s + *len;
	return 1;
}

int
cors_origins_check(const char *list, char *errbuf, size_t errlen)
{
	const char *p = list, *o;
	size_t len;

	while (cors_origins_next(&p, &o, &len)) {
		if (cors_origin_ok(o, len))
			continue;
		snprintf(errbuf, errlen,
		    "[server] cors_origins: \"%.*s\" is not an origin: list exact origins such as "
		    "https://app.example.com (lower case, no path, no wildcard)", (int)(len > 200 ? 200 : len), o);
		return -1;
	}
	return 0;
}
