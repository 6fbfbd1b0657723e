/* multipart.c - multipart/form-data framing over a fixed window; the file part is located, not copied. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/multipart.h"
#include "base/pool.h"
#include "base/text.h"
#include "base/xmalloc.h"

#define MP_BOUNDARY_MAX	70		/* RFC 2046 section 5.1.1 */
#define MP_DELIM_MAX	(4 + MP_BOUNDARY_MAX)	/* CRLF "--" boundary */
#define MP_PADDING_MAX	256		/* transport padding after a delimiter */
#define MP_WINDOW	(64 * 1024)

/* Where body bytes come from: a file read with pread, or memory. */
struct mp_src {
	int			 fd;
	const unsigned char	*mem;
	off_t			 len;
	off_t			 off;		/* next byte to read */
};

/*
 * The window: buf[0..fill) holds body bytes starting at body offset base;
 * pos is the first unconsumed byte.  The window starts with a virtual CRLF
 * at offsets -2 and -1 so that a delimiter on the body's first line is
 * found by the same search as every other ("CRLF--boundary").
 */
struct mp_reader {
	struct mp_src	 src;
	unsigned char	*buf;
	size_t		 cap, fill, pos;
	off_t		 base;
	int		 ioerr;
};

enum mp_kind { KIND_SKIP, KIND_FIELD, KIND_FILE };

struct mp_parser {
	struct mp_reader	 r;
	struct multipart_limits	 lim;
	struct pool		*pool;
	struct multipart_result	*out;
	const char		**errstr;
	unsigned char		 delim[MP_DELIM_MAX];
	size_t			 dlen;
	size_t			 nparts;

	/* The part being read. */
	enum mp_kind		 kind;
	const char		*name;
	const char		*filename;	/* from filename= */
	const char		*filename_ext;	/* from filename*= (preferred) */
	const char		*ctype;
	bool			 have_disp;
	off_t			 start;
	unsigned char		*val;		/* field value scratch, grows to the cap */
	size_t			 vlen, vcap;
};

/* Record a failure with a sentence for people; returns rc. */
static enum mp_err
mp_fail(struct mp_parser *p, enum mp_err rc, const char *msg)
{
	if (p->errstr != NULL)
		*p->errstr = p->nparts > 0 ?
		    pool_printf(p->pool, "part %zu: %s", p->nparts, msg) : msg;
	return rc;
}

static ssize_t
src_read(struct mp_src *s, unsigned char *dst, size_t n)
{
	ssize_t got;

	if (s->off >= s->len)
		return 0;
	if ((off_t)n > s->len - s->off)
		n = (size_t)(s->len - s->off);
	if (s->mem != NULL) {
		memcpy(dst, s->mem + s->off, n);
		got = (ssize_t)n;
	} else {
		do
			got = pread(s->fd, dst, n, s->off);
		while (got == -1 && errno == EINTR);
		if (got == 0)
			return -1;	/* shorter than body_len */
		if (got < 0)
			return -1;
	}
	s->off += got;
	return got;
}

/* Make at least n unconsumed bytes available; false at end of body or on
 * a read error (r->ioerr).  n must not exceed the window. */
static bool
rd_ensure(struct mp_reader *r, size_t n)
{
	ssize_t got;

	if (r->fill - r->pos >= n)
		return true;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
		r->base += (off_t)r->pos;
		r->fill -= r->pos;
		r->pos = 0;
	}
	while (r->fill < n) {
		got = src_read(&r->src, r->buf + r->fill, r->cap - r->fill);
		if (got < 0) {
			r->ioerr = 1;
			return false;
		}
		if (got == 0)
			return false;
		r->fill += (size_t)got;
	}
	return true;
}

/* At least one more byte than now. */
static bool
rd_more(struct mp_reader *r)
{
	return rd_ensure(r, r->fill - r->pos + 1);
}

static enum mp_err
mp_eof(struct mp_parser *p, const char *what)
{
	if (p->r.ioerr)
		return mp_fail(p, MP_ERR_IO, "cannot read the request body");
	return mp_fail(p, MP_ERR_TRUNCATED, what);
}

/* Body bytes of the current part. */
static enum mp_err
mp_data(struct mp_parser *p, const unsigned char *d, size_t n)
{
	size_t ncap;

	if (p->kind != KIND_FIELD || n == 0)
		return MP_OK;
	if (n > p->lim.max_field_bytes - p->vlen)
		return mp_fail(p, MP_ERR_FIELD_TOO_LARGE, "field value too large");
	if (p->vlen + n > p->vcap) {
		ncap = p->vcap == 0 ? 256 : p->vcap;
		while (ncap < p->vlen + n)
			ncap *= 2;
		if (ncap > p->lim.max_field_bytes)
			ncap = p->lim.max_field_bytes;
		p->val = xrealloc(p->val, ncap);
		p->vcap = ncap;
	}
	memcpy(p->val + p->vlen, d, n);
	p->vlen += n;
	return MP_OK;
}

/*
 * Consume data up to the next delimiter line, feeding it to mp_data, and
 * the delimiter line itself.  *closing tells whether it was the close
 * delimiter.  "CRLF--boundary" followed by anything but "--", padding or
 * CRLF is not a delimiter (RFC 2046 grammar) and stays data.  *end is the
 * body offset where the data ended.
 */
static enum mp_err
mp_to_delimiter(struct mp_parser *p, bool *closing, off_t *end)
{
	struct mp_reader *r = &p->r;
	unsigned char *hit;
	size_t avail, n, npad;
	enum mp_err rc;
	int c1, c2;

	for (;;) {
		if (!rd_ensure(r, p->dlen))
			return mp_eof(p, "body ends without the closing delimiter");
		avail = r->fill - r->pos;
		hit = memmem(r->buf + r->pos, avail, p->delim, p->dlen);
		if (hit == NULL) {
			/* Keep a possible delimiter prefix for the next round. */
			n = avail - (p->dlen - 1);
			if ((rc = mp_data(p, r->buf + r->pos, n)) != MP_OK)
				return rc;
			r->pos += n;
			if (!rd_more(r))
				return mp_eof(p, "body ends without the closing delimiter");
			continue;
		}
		n = (size_t)(hit - (r->buf + r->pos));
		if ((rc = mp_data(p, r->buf + r->pos, n)) != MP_OK)
			return rc;
		r->pos += n;
		if (!rd_ensure(r, p->dlen + 2))
			return mp_eof(p, "body ends inside a delimiter");
		c1 = r->buf[r->pos + p->dlen];
		c2 = r->buf[r->pos + p->dlen + 1];
		if (c1 == '-' && c2 == '-') {
			*end = r->base + (off_t)r->pos;
			*closing = true;
			r->pos += p->dlen + 2;
			return MP_OK;
		}
		if (c1 == '\n')
			return mp_fail(p, MP_ERR_SYNTAX, "delimiter line ends with a bare LF");
		if (c1 != ' ' && c1 != '\t' && c1 != '\r') {
			/* Not a delimiter after all: one byte of data, search on. */
			if ((rc = mp_data(p, r->buf + r->pos, 1)) != MP_OK)
				return rc;
			r->pos++;
			continue;
		}
		*end = r->base + (off_t)r->pos;
		*closing = false;
		r->pos += p->dlen;
		for (npad = 0;; npad++) {
			if (!rd_ensure(r, 1))
				return mp_eof(p, "body ends inside a delimiter line");
			c1 = r->buf[r->pos];
			if (c1 != ' ' && c1 != '\t')
				break;
			if (npad == MP_PADDING_MAX)
				return mp_fail(p, MP_ERR_SYNTAX, "too much padding after a delimiter");
			r->pos++;
		}
		if (!rd_ensure(r, 2))
			return mp_eof(p, "body ends inside a delimiter line");
		if (r->buf[r->pos] != '\r' || r->buf[r->pos + 1] != '\n')
			return mp_fail(p, MP_ERR_SYNTAX, "delimiter line not ended by CRLF");
		r->pos += 2;
		return MP_OK;
	}
}

static bool
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const unsigned char *
skip_ows(const unsigned char *s, const unsigned char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/*
 * RFC 5987 ext-value "charset'lang'pct-encoded" into a UTF-8 pool string.
 * UTF-8 and ISO-8859-1 (converted) are understood; *res is NULL for any
 * other charset, which RFC 6266 says to ignore in favour of filename=.
 */
static enum mp_err
decode_ext_value(struct mp_parser *p, const char *v, size_t n, const char **res)
{
	const char *q1, *q2, *e = v + n;
	unsigned char *d, *o;
	bool latin1;
	int hi, lo, c;

	*res = NULL;
	if ((q1 = memchr(v, '\'', n)) == NULL ||
	    (q2 = memchr(q1 + 1, '\'', (size_t)(e - q1 - 1))) == NULL)
		return mp_fail(p, MP_ERR_SYNTAX, "filename* is not charset'lang'value");
	if (q1 - v == 5 && strncasecmp(v, "UTF-8", 5) == 0)
		latin1 = false;
	else if (q1 - v == 10 && strncasecmp(v, "ISO-8859-1", 10) == 0)
		latin1 = true;
	else
		return MP_OK;
	o = d = pool_alloc(p->pool, (size_t)(e - q2) * 2 + 1);
	for (v = q2 + 1; v < e; v++) {
		c = (unsigned char)*v;
		if (c == '%') {
			if (e - v < 3 || (hi = text_hexval(v[1])) < 0 || (lo = text_hexval(v[2])) < 0)
				return mp_fail(p, MP_ERR_SYNTAX, "bad percent-encoding in filename*");
			c = hi << 4 | lo;
			v += 2;
		} else if (!is_tchar(c) || c == '\'' || c == '*' || c == '%')
			return mp_fail(p, MP_ERR_SYNTAX, "bad character in filename*");
		if (latin1 && c >= 0x80) {
			*o++ = (unsigned char)(0xc0 | c >> 6);
			*o++ = (unsigned char)(0x80 | (c & 0x3f));
		} else
			*o++ = (unsigned char)c;
	}
	*o = '\0';
	if (!text_utf8_ok(d, (size_t)(o - d)))
		return mp_fail(p, MP_ERR_FILENAME, "filename* is not valid UTF-8 text");
	*res = (const char *)d;
	return MP_OK;
}

/*
 * One parameter value at *sp: a token or a quoted-string (backslash
 * escapes any byte).  Returns the unescaped value in the pool.
 */
static enum mp_err
param_value(struct mp_parser *p, const unsigned char **sp, const unsigned char *e,
    const char **val, size_t *vlen)
{
	const unsigned char *s = *sp;
	unsigned char *d, *o;

	if (s < e && *s == '"') {
		o = d = pool_alloc(p->pool, (size_t)(e - s));
		for (s++;; s++) {
			if (s == e)
				return mp_fail(p, MP_ERR_SYNTAX, "unterminated quoted-string");
			if (*s == '"')
				break;
			if (*s == '\\') {
				if (++s == e)
					return mp_fail(p, MP_ERR_SYNTAX, "unterminated quoted-string");
			}
			*o++ = *s;
		}
		s++;
	} else {
		const unsigned char *v = s;

		while (s < e && *s != ';' && *s != ' ' && *s != '\t' && *s != '"')
			s++;
		if (s == v)
			return mp_fail(p, MP_ERR_SYNTAX, "empty parameter value");
		o = d = pool_alloc(p->pool, (size_t)(s - v) + 1);
		memcpy(o, v, (size_t)(s - v));
		o += s - v;
	}
	*o = '\0';
	*val = (const char *)d;
	*vlen = (size_t)(o - d);
	*sp = s;
	return MP_OK;
}

/* Content-Disposition: form-data; name="..."; filename="..."; filename*=... */
static enum mp_err
parse_disposition(struct mp_parser *p, const unsigned char *s, const unsigned char *e)
{
	const unsigned char *t;
	const char *val;
	size_t vlen, plen;
	bool seen_name = false, seen_fn = false, seen_fnx = false;
	enum mp_err rc;

	if (p->have_disp)
		return mp_fail(p, MP_ERR_SYNTAX, "two Content-Disposition headers");
	p->have_disp = true;
	for (t = s; t < e && is_tchar(*t); t++)
		;
	if (t - s != 9 || strncasecmp((const char *)s, "form-data", 9) != 0)
		return mp_fail(p, MP_ERR_SYNTAX, "Content-Disposition is not form-data");
	for (s = t;;) {
		s = skip_ows(s, e);
		if (s == e)
			break;
		if (*s++ != ';')
			return mp_fail(p, MP_ERR_SYNTAX, "malformed Content-Disposition");
		s = skip_ows(s, e);
		if (s == e)
			break;
		for (t = s; t < e && is_tchar(*t); t++)
			;
		plen = (size_t)(t - s);
		if (plen == 0)
			return mp_fail(p, MP_ERR_SYNTAX, "malformed Content-Disposition parameter");
		t = skip_ows(t, e);
		if (t == e || *t != '=')
			return mp_fail(p, MP_ERR_SYNTAX, "Content-Disposition parameter without value");
		t = skip_ows(t + 1, e);
		if ((rc = param_value(p, &t, e, &val, &vlen)) != MP_OK)
			return rc;
		if (plen == 4 && strncasecmp((const char *)s, "name", 4) == 0) {
			if (seen_name)
				return mp_fail(p, MP_ERR_SYNTAX, "two name parameters");
			seen_name = true;
			if (vlen == 0)
				return mp_fail(p, MP_ERR_SYNTAX, "empty part name");
			if (vlen > p->lim.max_name_bytes)
				return mp_fail(p, MP_ERR_NAME_TOO_LONG, "part name too long");
			if (memchr(val, '\0', vlen) != NULL)
				return mp_fail(p, MP_ERR_SYNTAX, "NUL in part name");
			p->name = val;
		} else if (plen == 8 && strncasecmp((const char *)s, "filename", 8) == 0) {
			if (seen_fn)
				return mp_fail(p, MP_ERR_SYNTAX, "two filename parameters");
			seen_fn = true;
			if (!text_utf8_ok((const unsigned char *)val, vlen))
				return mp_fail(p, MP_ERR_FILENAME, "filename is not valid UTF-8 text");
			p->filename = val;
		} else if (plen == 9 && strncasecmp((const char *)s, "filename*", 9) == 0) {
			if (seen_fnx)
				return mp_fail(p, MP_ERR_SYNTAX, "two filename* parameters");
			seen_fnx = true;
			if ((rc = decode_ext_value(p, val, vlen, &p->filename_ext)) != MP_OK)
				return rc;
		}
		/* Other parameters are allowed and ignored (RFC 7578 4.2). */
		s = t;
	}
	if (!seen_name)
		return mp_fail(p, MP_ERR_SYNTAX, "Content-Disposition without name");
	return MP_OK;
}

/* One header line, CRLF excluded; controls were rejected by the caller. */
static enum mp_err
parse_header(struct mp_parser *p, const unsigned char *s, const unsigned char *e)
{
	const unsigned char *t;
	size_t nlen;

	if (*s == ' ' || *s == '\t')
		return mp_fail(p, MP_ERR_SYNTAX, "folded header line");
	for (t = s; t < e && is_tchar(*t); t++)
		;
	nlen = (size_t)(t - s);
	if (nlen == 0 || t == e || *t != ':')
		return mp_fail(p, MP_ERR_SYNTAX, "malformed header line");
	t = skip_ows(t + 1, e);
	while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (nlen == 19 && strncasecmp((const char *)s, "Content-Disposition", 19) == 0)
		return parse_disposition(p, t, e);
	if (nlen == 12 && strncasecmp((const char *)s, "Content-Type", 12) == 0) {
		if (p->ctype != NULL)
			return mp_fail(p, MP_ERR_SYNTAX, "two Content-Type headers");
		p->ctype = pool_strndup(p->pool, (const char *)t, (size_t)(e - t));
	}
	return MP_OK;
}

/* The header block of a part, through its empty line. */
static enum mp_err
mp_headers(struct mp_parser *p)
{
	struct mp_reader *r = &p->r;
	size_t left = p->lim.max_header_bytes, avail, len, i;
	unsigned char *nl, *line;
	enum mp_err rc;

	for (;;) {
		for (;;) {
			avail = r->fill - r->pos;
			if ((nl = memchr(r->buf + r->pos, '\n', avail)) != NULL)
				break;
			if (avail >= left)
				return mp_fail(p, MP_ERR_HEADER_TOO_LARGE, "part headers too large");
			if (!rd_more(r))
				return mp_eof(p, "body ends inside part headers");
		}
		line = r->buf + r->pos;
		len = (size_t)(nl - line) + 1;
		if (len > left)
			return mp_fail(p, MP_ERR_HEADER_TOO_LARGE, "part headers too large");
		left -= len;
		if (len < 2 || nl[-1] != '\r')
			return mp_fail(p, MP_ERR_SYNTAX, "header line ends with a bare LF");
		for (i = 0; i < len - 2; i++) {
			if (line[i] == '\r')
				return mp_fail(p, MP_ERR_SYNTAX, "CR without LF in part headers");
			if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
				return mp_fail(p, MP_ERR_SYNTAX, "control character in part headers");
		}
		r->pos += len;
		if (len == 2)
			return MP_OK;
		if ((rc = parse_header(p, line, line + len - 2)) != MP_OK)
			return rc;
	}
}

/* Start of a part: headers read, decide what its body becomes. */
static enum mp_err
mp_begin_part(struct mp_parser *p)
{
	struct multipart_result *out = p->out;
	size_t i;

	if (!p->have_disp)
		return mp_fail(p, MP_ERR_SYNTAX, "part without Content-Disposition");
	if (strcmp(p->name, "file") == 0) {
		if (out->has_file)
			return mp_fail(p, MP_ERR_DUPLICATE_FILE, "two parts named \"file\"");
		p->kind = KIND_FILE;
	} else {
		for (i = 0; i < out->nfields; i++)
			if (strcmp(out->fields[i].name, p->name) == 0)
				return mp_fail(p, MP_ERR_DUPLICATE_FIELD, "two parts with the same name");
		p->kind = KIND_FIELD;
	}
	p->start = p->r.base + (off_t)p->r.pos;
	p->vlen = 0;
	return MP_OK;
}

static void
mp_end_part(struct mp_parser *p, off_t end)
{
	struct multipart_result *out = p->out;
	struct multipart_field *f;
	char *v;

	if (p->kind == KIND_FILE) {
		out->has_file = true;
		out->file.filename = p->filename_ext != NULL ? p->filename_ext : p->filename;
		out->file.content_type = p->ctype;
		out->file.offset = p->start;
		out->file.length = end - p->start;
	} else if (p->kind == KIND_FIELD) {
		f = &out->fields[out->nfields++];
		f->name = p->name;
		v = pool_alloc(p->pool, p->vlen + 1);
		if (p->vlen > 0)
			memcpy(v, p->val, p->vlen);
		v[p->vlen] = '\0';
		f->value = v;
		f->len = p->vlen;
		f->has_nul = memchr(v, '\0', p->vlen) != NULL;
	}
	p->kind = KIND_SKIP;
	p->name = p->filename = p->filename_ext = p->ctype = NULL;
	p->have_disp = false;
}

static bool
is_bchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("'()+_,-./:=? ", c) != NULL);
}

/* multipart/form-data; boundary=... into p->delim. */
static enum mp_err
mp_boundary(struct mp_parser *p, const char *ct)
{
	const unsigned char *s, *e, *t;
	const char *val = NULL, *v;
	size_t plen, vlen = 0, n, i;
	enum mp_err rc;

	if (ct == NULL)
		return mp_fail(p, MP_ERR_CONTENT_TYPE, "Content-Type is missing");
	s = (const unsigned char *)ct;
	e = s + strlen(ct);
	s = skip_ows(s, e);
	if (e - s < 19 || strncasecmp((const char *)s, "multipart/form-data", 19) != 0)
		return mp_fail(p, MP_ERR_CONTENT_TYPE, "Content-Type is not multipart/form-data");
	s += 19;
	if (s < e && *s != ';' && *s != ' ' && *s != '\t')
		return mp_fail(p, MP_ERR_CONTENT_TYPE, "Content-Type is not multipart/form-data");
	for (;;) {
		s = skip_ows(s, e);
		if (s == e)
			break;
		if (*s++ != ';')
			return mp_fail(p, MP_ERR_BOUNDARY, "malformed Content-Type parameters");
		s = skip_ows(s, e);
		if (s == e)
			break;
		for (t = s; t < e && is_tchar(*t); t++)
			;
		plen = (size_t)(t - s);
		t = skip_ows(t, e);
		if (plen == 0 || t == e || *t != '=')
			return mp_fail(p, MP_ERR_BOUNDARY, "malformed Content-Type parameters");
		t = skip_ows(t + 1, e);
		if ((rc = param_value(p, &t, e, &v, &n)) != MP_OK)
			return mp_fail(p, MP_ERR_BOUNDARY, "malformed Content-Type parameters");
		if (plen == 8 && strncasecmp((const char *)s, "boundary", 8) == 0) {
			if (val != NULL)
				return mp_fail(p, MP_ERR_BOUNDARY, "two boundary parameters");
			val = v;
			vlen = n;
		}
		s = t;
	}
	if (val == NULL)
		return mp_fail(p, MP_ERR_BOUNDARY, "Content-Type has no boundary");
	if (vlen < 1 || vlen > MP_BOUNDARY_MAX)
		return mp_fail(p, MP_ERR_BOUNDARY, "boundary must be 1 to 70 characters");
	for (i = 0; i < vlen; i++)
		if (!is_bchar((unsigned char)val[i]))
			return mp_fail(p, MP_ERR_BOUNDARY, "boundary has a character RFC 2046 forbids");
	if (val[vlen - 1] == ' ')
		return mp_fail(p, MP_ERR_BOUNDARY, "boundary ends with a space");
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, val, vlen);
	p->dlen = 4 + vlen;
	return MP_OK;
}

void
multipart_limits_default(struct multipart_limits *lim)
{
	lim->max_header_bytes = 8 * 1024;
	lim->max_parts = 16;
	lim->max_field_bytes = 64 * 1024;
	lim->max_name_bytes = 64;
	lim->buffer_size = MP_WINDOW;
}

off_t
multipart_overhead_max(const struct multipart_limits *lim)
{
	/* A delimiter line: CRLF "--" boundary (at most 70, RFC 2046) CRLF,
	 * and the closing one's "--". */
	const off_t delim = 2 + 2 + 70 + 2 + 2;

	return (off_t)lim->max_parts *
	    ((off_t)lim->max_header_bytes + (off_t)lim->max_field_bytes + delim) + delim;
}

static enum mp_err
mp_run(struct mp_parser *p)
{
	bool closing = false;
	off_t end;
	enum mp_err rc;

	/* Preamble: skipped up to the first delimiter. */
	p->kind = KIND_SKIP;
	if ((rc = mp_to_delimiter(p, &closing, &end)) != MP_OK)
		return rc;
	while (!closing) {
		if (p->nparts == p->lim.max_parts)
			return mp_fail(p, MP_ERR_TOO_MANY_PARTS, "too many parts");
		p->nparts++;
		if ((rc = mp_headers(p)) != MP_OK ||
		    (rc = mp_begin_part(p)) != MP_OK ||
		    (rc = mp_to_delimiter(p, &closing, &end)) != MP_OK)
			return rc;
		mp_end_part(p, end);
	}
	/* The epilogue is not even read. */
	return MP_OK;
}

static enum mp_err
mp_parse(struct mp_src *src, const char *content_type, const struct multipart_limits *lim,
    struct pool *pool, struct multipart_result *out, const char **errstr)
{
	struct mp_parser p;
	size_t need;
	enum mp_err rc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if (lim != NULL)
		p.lim = *lim;
	else
		multipart_limits_default(&p.lim);
	if (p.lim.buffer_size == 0)
		p.lim.buffer_size = MP_WINDOW;
	/* The window must hold a whole header block plus a delimiter line. */
	need = p.lim.max_header_bytes + 2 * MP_DELIM_MAX + 16;
	if (p.lim.buffer_size < need)
		p.lim.buffer_size = need;
	p.pool = pool;
	p.out = out;
	p.errstr = errstr;
	if (errstr != NULL)
		*errstr = NULL;
	if ((rc = mp_boundary(&p, content_type)) != MP_OK)
		return rc;

	p.r.src = *src;
	p.r.cap = p.lim.buffer_size;
	p.r.buf = xmalloc(p.r.cap);
	memcpy(p.r.buf, "\r\n", 2);
	p.r.fill = 2;
	p.r.base = -2;
	out->fields = pool_zalloc(pool, (p.lim.max_parts + 1) * sizeof(*out->fields));

	rc = mp_run(&p);
	free(p.r.buf);
	free(p.val);
	if (rc != MP_OK) {
		struct multipart_field *f = out->fields;

		memset(out, 0, sizeof(*out));
		out->fields = f;
	}
	return rc;
}

enum mp_err
multipart_parse_fd(int fd, off_t body_len, const char *content_type,
    const struct multipart_limits *lim, struct pool *pool,
    struct multipart_result *out, const char **errstr)
{
	struct mp_src src = { .fd = fd, .mem = NULL, .len = body_len < 0 ? 0 : body_len, .off = 0 };

	return mp_parse(&src, content_type, lim, pool, out, errstr);
}

enum mp_err
multipart_parse_mem(const void *body, size_t body_len, const char *content_type,
    const struct multipart_limits *lim, struct pool *pool,
    struct multipart_result *out, const char **errstr)
{
	static const unsigned char empty[1];
	struct mp_src src = {
		.fd = -1, .mem = body != NULL ? body : empty,
		.len = body != NULL ? (off_t)body_len : 0, .off = 0,
	};

	return mp_parse(&src, content_type, lim, pool, out, errstr);
}

const struct multipart_field *
multipart_field_get(const struct multipart_result *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nfields; i++)
		if (strcmp(res->fields[i].name, name) == 0)
			return &res->fields[i];
	return NULL;
}

static const struct {
	const char	*code;
	const char	*text;
} mp_names[MP_ERR__COUNT] = {
	[MP_OK] = { "OK", "success" },
	[MP_ERR_CONTENT_TYPE] = { "INVALID_CONTENT_TYPE", "request is not multipart/form-data" },
	[MP_ERR_BOUNDARY] = { "MULTIPART_BOUNDARY", "missing or invalid multipart boundary" },
	[MP_ERR_SYNTAX] = { "MULTIPART_SYNTAX", "malformed multipart body" },
	[MP_ERR_TRUNCATED] = { "MULTIPART_TRUNCATED", "multipart body is truncated" },
	[MP_ERR_TOO_MANY_PARTS] = { "MULTIPART_TOO_MANY_PARTS", "too many parts" },
	[MP_ERR_HEADER_TOO_LARGE] = { "MULTIPART_HEADER_TOO_LARGE", "part headers too large" },
	[MP_ERR_FIELD_TOO_LARGE] = { "FIELD_TOO_LARGE", "form field value too large" },
	[MP_ERR_NAME_TOO_LONG] = { "FIELD_NAME_TOO_LONG", "form field name too long" },
	[MP_ERR_FILENAME] = { "INVALID_FILENAME", "filename is not valid UTF-8 text" },
	[MP_ERR_DUPLICATE_FILE] = { "DUPLICATE_FILE", "more than one file part" },
	[MP_ERR_DUPLICATE_FIELD] = { "DUPLICATE_FIELD", "a form field is repeated" },
	[MP_ERR_IO] = { "INTERNAL_ERROR", "cannot read the request body" },
};

const char *
multipart_strerror(enum mp_err rc)
{
	if ((unsigned)rc >= MP_ERR__COUNT)
		return "unknown multipart error";
	return mp_names[rc].text;
}

const char *
multipart_code(enum mp_err rc)
{
	if ((unsigned)rc >= MP_ERR__COUNT)
		return "INTERNAL_ERROR";
	return mp_names[rc].code;
}

enum err
multipart_err(enum mp_err rc)
{
	if (rc == MP_OK)
		return ERR_OK;
	if (rc == MP_ERR_IO || (unsigned)rc >= MP_ERR__COUNT)
		return ERR_SYS;
	return ERR_BADREQ;
}
