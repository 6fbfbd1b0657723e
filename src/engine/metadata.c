/* metadata.c - strict parsing of the metadata field (RFC 8259), then json-c. */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "base/log.h"
#include "engine/metadata.h"
#include "base/xmalloc.h"

/*
 * Hand-written RFC 8259 grammar check, run before json-c.  json-c 0.16's
 * JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 still accepts NaN,
 * Infinity, single-quoted names, "1.", raw control characters, \u0000 (and
 * truncates a name at it), lone surrogate escapes (turned into U+FFFD),
 * overlong and surrogate UTF-8, and clamps integers past 64 bits
 * (the cases in tests/unit/check_metadata.c).  PostgreSQL's jsonb refuses
 * several of those (a 500), the rest would be stored changed.  No Debian
 * JSON library keeps big numbers exact and refuses all of these, so this
 * scanner decides what is JSON and json-c only builds the compact form.
 */
struct meta_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	const char		*errstr;
};

#define META_BAD(s, msg)	((s)->errstr = (msg), -1)

static void
meta_ws(struct meta_scan *s)
{
	while (s->p < s->end &&
	    (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
meta_hex4(struct meta_scan *s, unsigned *cp)
{
	int i;

	*cp = 0;
	if (s->end - s->p < 4)
		return META_BAD(s, "metadata has a bad \\u escape");
	for (i = 0; i < 4; i++, s->p++) {
		unsigned c = *s->p, v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return META_BAD(s, "metadata has a bad \\u escape");
		*cp = *cp << 4 | v;
	}
	return 0;
}

/* One UTF-8 sequence starting at s->p (>= 0x80): shortest form, no
 * surrogates, at most U+10FFFF (RFC 3629). */
static int
meta_utf8(struct meta_scan *s)
{
	const unsigned char *p = s->p;
	unsigned cp, min;
	int n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 1; cp = p[0] & 0x1f; min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2; cp = p[0] & 0x0f; min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 3; cp = p[0] & 0x07; min = 0x10000;
	} else
		return META_BAD(s, "metadata is not valid UTF-8");
	if (s->end - p <= n)
		return META_BAD(s, "metadata is not valid UTF-8");
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return META_BAD(s, "metadata is not valid UTF-8");
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return META_BAD(s, "metadata is not valid UTF-8");
	s->p += n + 1;
	return 0;
}

static int
meta_string(struct meta_scan *s)
{
	unsigned cp, lo;

	s->p++;				/* the opening quote */
	for (;;) {
		if (s->p >= s->end)
			return META_BAD(s, "metadata has an unterminated string");
		if (*s->p == '"') {
			s->p++;
			return 0;
		}
		if (*s->p < 0x20)
			return META_BAD(s, "metadata has a control character in a string");
		if (*s->p >= 0x80) {
			if (meta_utf8(s) != 0)
				return -1;
			continue;
		}
		if (*s->p++ != '\\')
			continue;
		if (s->p >= s->end)
			return META_BAD(s, "metadata has an unterminated string");
		switch (*s->p++) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			continue;
		case 'u':
			break;
		default:
			return META_BAD(s, "metadata has a bad escape in a string");
		}
		if (meta_hex4(s, &cp) != 0)
			return -1;
		/* NUL: PostgreSQL text cannot hold it (and json-c cuts names at it). */
		if (cp == 0)
			return META_BAD(s, "metadata contains \\u0000");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return META_BAD(s, "metadata has a lone surrogate escape");
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
				return META_BAD(s, "metadata has a lone surrogate escape");
			s->p += 2;
			if (meta_hex4(s, &lo) != 0)
				return -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return META_BAD(s, "metadata has a lone surrogate escape");
		}
	}
}

static size_t
meta_digits(struct meta_scan *s)
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
meta_number(struct meta_scan *s)
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
	if ((ilen = meta_digits(s)) == 0 || (ilen > 1 && ip[0] == '0'))
		return META_BAD(s, "metadata has a malformed number");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		fp = s->p;
		if ((flen = meta_digits(s)) == 0)
			return META_BAD(s, "metadata has a malformed number");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		const unsigned char *ep;
		int eneg = 0;

		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			eneg = *s->p++ == '-';
		ep = s->p;
		if (meta_digits(s) == 0)
			return META_BAD(s, "metadata has a malformed number");
		for (; ep < s->p; ep++)
			if ((exp = exp * 10 + (*ep - '0')) > 308)
				return META_BAD(s, "metadata has a number out of range");
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
		return META_BAD(s, "metadata has an integer beyond 64 bits");
	for (k = 0; k < 19; k++)
		buf[k] = lz + k < ilen + flen ? (char)META_D(lz + k) : '0';
	buf[19] = '\0';
#undef META_D
	if (strcmp(buf, neg ? "9223372036854775808" : "9223372036854775807") > 0)
		return META_BAD(s, "metadata has an integer beyond 64 bits");
	return 0;
}

static int
meta_literal(struct meta_scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return META_BAD(s, "metadata is not JSON (RFC 8259)");
	s->p += n;
	return 0;
}

static int meta_value(struct meta_scan *s, int depth);

static int
meta_container(struct meta_scan *s, int depth, unsigned char close)
{
	int first = 1;

	if (depth > METADATA_DEPTH)
		return META_BAD(s, "metadata is nested too deeply");
	s->p++;
	for (;;) {
		meta_ws(s);
		if (s->p >= s->end)
			return META_BAD(s, "metadata is not JSON (RFC 8259)");
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
				return META_BAD(s, "metadata is not JSON (RFC 8259)");
			s->p++;
			meta_ws(s);
		}
		first = 0;
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"')
				return META_BAD(s, "metadata names must be double-quoted strings");
			if (meta_string(s) != 0)
				return -1;
			meta_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return META_BAD(s, "metadata is not JSON (RFC 8259)");
			s->p++;
		}
		if (meta_value(s, depth) != 0)
			return -1;
	}
}

static int
meta_value(struct meta_scan *s, int depth)
{
	meta_ws(s);
	if (s->p >= s->end)
		return META_BAD(s, "metadata is not JSON (RFC 8259)");
	switch (*s->p) {
	case '{':
		return meta_container(s, depth + 1, '}');
	case '[':
		return meta_container(s, depth + 1, ']');
	case '"':
		return meta_string(s);
	case 't':
		return meta_literal(s, "true");
	case 'f':
		return meta_literal(s, "false");
	case 'n':
		return meta_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return meta_number(s);
		return META_BAD(s, "metadata is not JSON (RFC 8259)");
	}
}

enum err
metadata_check(const char *buf, size_t len, const char **errstr)
{
	struct meta_scan s = { (const unsigned char *)buf,
	    (const unsigned char *)buf + len, NULL };

	meta_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		*errstr = "metadata must be a JSON object";
		return ERR_BADREQ;
	}
	if (meta_value(&s, 0) != 0) {
		*errstr = s.errstr;
		return ERR_BADREQ;
	}
	meta_ws(&s);
	if (s.p != s.end) {
		*errstr = "metadata has bytes after the object";
		return ERR_BADREQ;
	}
	*errstr = NULL;
	return ERR_OK;
}

enum err
metadata_normalize(const char *buf, size_t len, char **out, const char **code,
    const char **errstr)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	*out = NULL;
	*code = "INVALID_METADATA";
	*errstr = "metadata must be a JSON object";
	if (len > METADATA_MAX) {
		*code = "METADATA_TOO_LARGE";
		*errstr = "metadata is larger than 16 KiB";
		return ERR_BADREQ;
	}
	if (memchr(buf, '\0', len) != NULL)
		return ERR_BADREQ;
	if (metadata_check(buf, len, errstr) != ERR_OK)
		return ERR_BADREQ;
	if ((tok = json_tokener_new_ex(METADATA_DEPTH + 1)) == NULL)
		fatalx("out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	/* metadata_check accepted it: json-c refusing it is a disagreement to
	 * refuse too, never to store. */
	if (o == NULL || jerr != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*errstr = "metadata is not JSON (RFC 8259)";
		return ERR_BADREQ;
	}
	*out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	*code = NULL;
	*errstr = NULL;
	return ERR_OK;
}
