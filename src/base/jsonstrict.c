/* jsonstrict.c - RFC 8259 exactly, then json-c: what json-c alone lets through is refused. */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "base/jsonstrict.h"
#include "base/log.h"
#include "base/text.h"

/*
 * Hand-written RFC 8259 grammar check, run before json-c.  json-c 0.16's
 * JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 still accepts NaN,
 * Infinity, single-quoted names, "1.", raw control characters, \u0000 (and
 * truncates a name at it), lone surrogate escapes (turned into U+FFFD),
 * overlong and surrogate UTF-8, keeps the last of duplicate names and
 * clamps integers past 64 bits (the cases in tests/unit/check_metadata.c).
 * PostgreSQL's jsonb refuses several of those (a 500), the rest would be
 * stored or read changed.  No Debian JSON library keeps big numbers exact
 * and refuses all of these, so this scanner decides what is JSON and
 * json-c only builds the tree.
 */
struct js_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	const char		*errstr;
	int			 max_depth;
	size_t			 members;	/* of every object, for duplicates */
};

#define JS_BAD(s, msg)	((s)->errstr = (msg), -1)

static void
js_ws(struct js_scan *s)
{
	while (s->p < s->end &&
	    (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
js_hex4(struct js_scan *s, unsigned *cp)
{
	int i, v;

	*cp = 0;
	if (s->end - s->p < 4)
		return JS_BAD(s, "JSON has a bad \\u escape");
	for (i = 0; i < 4; i++, s->p++) {
		if ((v = text_hexval(*s->p)) < 0)
			return JS_BAD(s, "JSON has a bad \\u escape");
		*cp = *cp << 4 | (unsigned)v;
	}
	return 0;
}

static int
js_string(struct js_scan *s)
{
	unsigned cp, lo;

	s->p++;				/* the opening quote */
	for (;;) {
		if (s->p >= s->end)
			return JS_BAD(s, "JSON has an unterminated string");
		if (*s->p == '"') {
			s->p++;
			return 0;
		}
		if (*s->p < 0x20)
			return JS_BAD(s, "JSON has a control character in a string");
		if (*s->p >= 0x80) {
			size_t n = text_utf8_seq(s->p, (size_t)(s->end - s->p));

			if (n == 0)
				return JS_BAD(s, "JSON is not valid UTF-8");
			s->p += n;
			continue;
		}
		if (*s->p++ != '\\')
			continue;
		if (s->p >= s->end)
			return JS_BAD(s, "JSON has an unterminated string");
		switch (*s->p++) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			continue;
		case 'u':
			break;
		default:
			return JS_BAD(s, "JSON has a bad escape in a string");
		}
		if (js_hex4(s, &cp) != 0)
			return -1;
		/* NUL: PostgreSQL text cannot hold it (and json-c cuts names at it). */
		if (cp == 0)
			return JS_BAD(s, "JSON contains \\u0000");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return JS_BAD(s, "JSON has a lone surrogate escape");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
				return JS_BAD(s, "JSON has a lone surrogate escape");
			s->p += 2;
			if (js_hex4(s, &lo) != 0)
				return -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return JS_BAD(s, "JSON has a lone surrogate escape");
		}
	}
}

static size_t
js_digits(struct js_scan *s)
{
	const unsigned char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (size_t)(s->p - start);
}

/*
 * A number by the RFC's grammar whose value survives the trip through
 * jsonb (exact decimal) and back through json-c: jsonb prints a number
 * whose exponent cancels its fraction as an integer, which json-c reads as
 * a 64-bit one, clamping anything larger.  So such a number must fit in
 * int64; exponents stay within a double's (|e| <= 308) to bound what jsonb
 * expands.
 */
static int
js_number(struct js_scan *s)
{
	const unsigned char *ip, *fp = NULL;
	size_t ilen, flen = 0, lz, k;
	long exp = 0, digits;
	char buf[20];
	int neg = 0;

	if (*s->p == '-') {
		neg = 1;
		s->p++;
	}
	ip = s->p;
	if ((ilen = js_digits(s)) == 0 || (ilen > 1 && ip[0] == '0'))
		return JS_BAD(s, "JSON has a malformed number");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		fp = s->p;
		if ((flen = js_digits(s)) == 0)
			return JS_BAD(s, "JSON has a malformed number");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		const unsigned char *ep;
		int eneg = 0;

		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			eneg = *s->p++ == '-';
		ep = s->p;
		if (js_digits(s) == 0)
			return JS_BAD(s, "JSON has a malformed number");
		for (; ep < s->p; ep++)
			if ((exp = exp * 10 + (*ep - '0')) > 308)
				return JS_BAD(s, "JSON has a number out of range");
		if (eneg)
			exp = -exp;
	}
	/* jsonb keeps max(0, flen - exp) decimals: none means an integer. */
	if ((long)flen - exp > 0)
		return 0;
	/* The digits D = int||frac; the integer is D without its leading
	 * zeros, then exp - flen zeros. */
#define META_D(i)	((i) < ilen ? ip[(i)] : fp[(i) - ilen])
	for (lz = 0; lz < ilen + flen && META_D(lz) == '0'; lz++)
		;
	if (lz == ilen + flen)
		return 0;			/* zero */
	digits = (long)ilen - (long)lz + exp;
	if (digits < 19)
		return 0;
	if (digits > 19)
		return JS_BAD(s, "JSON has an integer beyond 64 bits");
	for (k = 0; k < 19; k++)
		buf[k] = lz + k < ilen + flen ? (char)META_D(lz + k) : '0';
	buf[19] = '\0';
#undef META_D
	if (strcmp(buf, neg ? "9223372036854775808" : "9223372036854775807") > 0)
		return JS_BAD(s, "JSON has an integer beyond 64 bits");
	return 0;
}

static int
js_literal(struct js_scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return JS_BAD(s, "JSON is not JSON (RFC 8259)");
	s->p += n;
	return 0;
}

static int js_value(struct js_scan *s, int depth);

static int
js_container(struct js_scan *s, int depth, unsigned char close)
{
	int first = 1;

	if (depth > s->max_depth)
		return JS_BAD(s, "JSON is nested too deeply");
	s->p++;
	for (;;) {
		js_ws(s);
		if (s->p >= s->end)
			return JS_BAD(s, "JSON is not JSON (RFC 8259)");
		if (*s->p == close && first) {
			s->p++;
			return 0;
		}
		if (!first) {
			if (*s->p == close) {
				s->p++;
				return 0;
			}
			if (*s->p != ',')
				return JS_BAD(s, "JSON is not JSON (RFC 8259)");
			s->p++;
			js_ws(s);
		}
		first = 0;
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"')
				return JS_BAD(s, "JSON names must be double-quoted strings");
			if (js_string(s) != 0)
				return -1;
			s->members++;
			js_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return JS_BAD(s, "JSON is not JSON (RFC 8259)");
			s->p++;
		}
		if (js_value(s, depth) != 0)
			return -1;
	}
}

static int
js_value(struct js_scan *s, int depth)
{
	js_ws(s);
	if (s->p >= s->end)
		return JS_BAD(s, "JSON is not JSON (RFC 8259)");
	switch (*s->p) {
	case '{':
		return js_container(s, depth + 1, '}');
	case '[':
		return js_container(s, depth + 1, ']');
	case '"':
		return js_string(s);
	case 't':
		return js_literal(s, "true");
	case 'f':
		return js_literal(s, "false");
	case 'n':
		return js_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return js_number(s);
		return JS_BAD(s, "JSON is not JSON (RFC 8259)");
	}
}

/* Members of every object in the tree: fewer than the text has means
 * json-c merged duplicate names. */
static size_t
js_count(struct json_object *o)
{
	size_t n = 0, i, len;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + js_count(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += js_count(json_object_array_get_idx(o, i));
	}
	return n;
}

enum err
jsonstrict_parse(const char *buf, size_t len, int max_depth, struct json_object **out,
    const char **errstr)
{
	struct js_scan s = { (const unsigned char *)buf,
	    (const unsigned char *)buf + len, NULL, max_depth, 0 };
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	*out = NULL;
	if (len > INT32_MAX) {
		*errstr = "JSON is too large";
		return ERR_BADREQ;
	}
	js_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		*errstr = "JSON must be an object";
		return ERR_BADREQ;
	}
	if (js_value(&s, 0) != 0) {
		*errstr = s.errstr;
		return ERR_BADREQ;
	}
	js_ws(&s);
	if (s.p != s.end) {
		*errstr = "JSON has bytes after the object";
		return ERR_BADREQ;
	}
	if ((tok = json_tokener_new_ex(max_depth + 1)) == NULL)
		fatalx("out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	/* The scanner accepted it: json-c refusing it is a disagreement to
	 * refuse too, never to guess about. */
	if (o == NULL || jerr != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*errstr = "JSON is not JSON (RFC 8259)";
		return ERR_BADREQ;
	}
	if (js_count(o) != s.members) {
		json_object_put(o);
		*errstr = "JSON has a name twice in one object";
		return ERR_BADREQ;
	}
	*out = o;
	*errstr = NULL;
	return ERR_OK;
}
