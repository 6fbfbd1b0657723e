/* check_multipart.c - multipart/form-data: valid and hostile bodies, window edges, a 20 MiB file part. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/multipart.h"
#include "base/pool.h"

#define CT	"multipart/form-data; boundary=XyZ"
#define D	"--XyZ"
#define CRLF	"\r\n"
#define DISP(n)	"Content-Disposition: form-data; name=\"" n "\"" CRLF
#define FILEHDR	"Content-Disposition: form-data; name=\"file\"; filename=\"a.png\"" CRLF \
		"Content-Type: image/png" CRLF CRLF

static struct pool *pool;
static struct multipart_result res;
static const char *errstr;

static void
setup(void)
{
	pool = pool_new();
	memset(&res, 0, sizeof(res));
	errstr = NULL;
}

static void
teardown(void)
{
	pool_free(pool);
}

static enum mp_err
parse_lim(const char *ct, const char *body, size_t len, const struct multipart_limits *lim)
{
	return multipart_parse_mem(body, len, ct, lim, pool, &res, &errstr);
}

static enum mp_err
parse(const char *ct, const char *body)
{
	return parse_lim(ct, body, strlen(body), NULL);
}

/* Offset of needle in body, for asserting file ranges. */
static off_t
at(const char *body, const char *needle)
{
	const char *p = strstr(body, needle);

	ck_assert_ptr_nonnull(p);
	return (off_t)(p - body);
}

struct mp_case {
	const char	*name;
	const char	*ct;
	const char	*body;
	size_t		 len;		/* 0: strlen(body) */
	enum mp_err	 want;
};

#define NUL_BODY D CRLF "Content-Disposition: form-data; name=\"a\0\"" CRLF CRLF "1" CRLF D "--"

/* Every body here is checked for its exact result code. */
static const struct mp_case cases[] = {
	{ "minimal", CT, D CRLF DISP("a") CRLF "1" CRLF D "--" CRLF, 0, MP_OK },
	{ "no parts", CT, D "--" CRLF, 0, MP_OK },
	{ "closing without CRLF at end", CT, D CRLF DISP("a") CRLF "1" CRLF D "--", 0, MP_OK },
	{ "quoted boundary", "multipart/form-data; boundary=\"XyZ\"", D CRLF DISP("a") CRLF "1" CRLF D "--", 0, MP_OK },
	{ "boundary with space, quoted", "multipart/form-data; boundary=\"a b\"",
	  "--a b" CRLF DISP("a") CRLF "1" CRLF "--a b--", 0, MP_OK },
	{ "type case and extra params", "Multipart/Form-Data ; charset=utf-8;boundary=XyZ ; x=\"y\"",
	  D CRLF DISP("a") CRLF "1" CRLF D "--", 0, MP_OK },
	{ "preamble and epilogue", CT, "preamble line" CRLF "--XyZnot" CRLF D CRLF DISP("a") CRLF "1" CRLF D "--" CRLF "epilogue" CRLF D CRLF "junk", 0, MP_OK },
	{ "transport padding", CT, D " \t " CRLF DISP("a") CRLF "1" CRLF D "--  " CRLF, 0, MP_OK },
	{ "unknown headers ignored", CT, D CRLF "X-Thing: 1" CRLF DISP("a") "Content-Transfer-Encoding: binary" CRLF CRLF "1" CRLF D "--", 0, MP_OK },
	{ "70-char boundary", "multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789",
	  "--0123456789012345678901234567890123456789012345678901234567890123456789" CRLF DISP("a") CRLF "1" CRLF
	  "--0123456789012345678901234567890123456789012345678901234567890123456789--", 0, MP_OK },

	{ "no content type", NULL, D "--", 0, MP_ERR_CONTENT_TYPE },
	{ "not form-data", "multipart/mixed; boundary=XyZ", D "--", 0, MP_ERR_CONTENT_TYPE },
	{ "form-data prefix only", "multipart/form-datax; boundary=XyZ", D "--", 0, MP_ERR_CONTENT_TYPE },
	{ "json", "application/json", "{}", 0, MP_ERR_CONTENT_TYPE },
	{ "no boundary", "multipart/form-data", D "--", 0, MP_ERR_BOUNDARY },
	{ "empty boundary", "multipart/form-data; boundary=\"\"", D "--", 0, MP_ERR_BOUNDARY },
	{ "71-char boundary", "multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
	  "--x", 0, MP_ERR_BOUNDARY },
	{ "boundary bad char", "multipart/form-data; boundary=a@b", "--a@b--", 0, MP_ERR_BOUNDARY },
	{ "boundary trailing space", "multipart/form-data; boundary=\"ab \"", "--ab --", 0, MP_ERR_BOUNDARY },
	{ "two boundaries", "multipart/form-data; boundary=a; boundary=b", "--a--", 0, MP_ERR_BOUNDARY },
	{ "unterminated quoted boundary", "multipart/form-data; boundary=\"XyZ", D "--", 0, MP_ERR_BOUNDARY },

	{ "empty body", CT, "", 0, MP_ERR_TRUNCATED },
	{ "no closing delimiter", CT, D CRLF DISP("a") CRLF "1" CRLF, 0, MP_ERR_TRUNCATED },
	{ "cut inside data", CT, D CRLF DISP("a") CRLF "123", 0, MP_ERR_TRUNCATED },
	{ "cut inside headers", CT, D CRLF "Content-Disposition: form", 0, MP_ERR_TRUNCATED },
	{ "cut after delimiter", CT, D CRLF DISP("a") CRLF "1" CRLF D, 0, MP_ERR_TRUNCATED },
	{ "cut after half close", CT, D CRLF DISP("a") CRLF "1" CRLF D "-", 0, MP_ERR_TRUNCATED },
	{ "cut in padding", CT, D "  ", 0, MP_ERR_TRUNCATED },
	{ "LF-only body", CT, D "\n" "Content-Disposition: form-data; name=\"a\"\n\n1\n" D "--\n", 0, MP_ERR_SYNTAX },
	{ "LF-only after preamble", CT, "pre\n" D "\n" DISP("a") "\n1\n" D "--\n", 0, MP_ERR_TRUNCATED },
	{ "bare LF in header", CT, D CRLF "Content-Disposition: form-data; name=\"a\"\n" CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "bare LF ends headers", CT, D CRLF DISP("a") "\n1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "CR without LF in header", CT, D CRLF "Content-Disposition: form-data;\r name=\"a\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "NUL in header", CT, NUL_BODY, sizeof(NUL_BODY) - 1, MP_ERR_SYNTAX },
	{ "junk after delimiter", CT, D "  x" CRLF DISP("a") CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "no disposition", CT, D CRLF "Content-Type: text/plain" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "disposition attachment", CT, D CRLF "Content-Disposition: attachment; name=\"a\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "disposition without name", CT, D CRLF "Content-Disposition: form-data; filename=\"x\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "empty name", CT, D CRLF "Content-Disposition: form-data; name=\"\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "two names", CT, D CRLF "Content-Disposition: form-data; name=a; name=b" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "two dispositions", CT, D CRLF DISP("a") DISP("b") CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "unterminated quote", CT, D CRLF "Content-Disposition: form-data; name=\"a" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "param without value", CT, D CRLF "Content-Disposition: form-data; name" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "folded header", CT, D CRLF "Content-Disposition: form-data;" CRLF " name=\"a\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "header without colon", CT, D CRLF DISP("a") "garbage" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "space before colon", CT, D CRLF "Content-Disposition : form-data; name=a" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "filename* bad percent", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%zz" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "filename* no quotes", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename*=a.png" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_SYNTAX },
	{ "filename* NUL", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00b" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_FILENAME },
	{ "filename* bad UTF-8", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%28" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_FILENAME },
	{ "filename latin-1 bytes", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename=\"caf\xe9.png\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_FILENAME },
	{ "filename overlong UTF-8", CT, D CRLF "Content-Disposition: form-data; name=\"file\"; filename=\"\xc0\xafx\"" CRLF CRLF "1" CRLF D "--", 0, MP_ERR_FILENAME },
	{ "two file parts", CT, D CRLF FILEHDR "a" CRLF D CRLF FILEHDR "b" CRLF D "--", 0, MP_ERR_DUPLICATE_FILE },
	{ "file part without filename twice", CT, D CRLF DISP("file") CRLF "a" CRLF D CRLF DISP("file") CRLF "b" CRLF D "--", 0, MP_ERR_DUPLICATE_FILE },
	{ "duplicate field", CT, D CRLF DISP("category") CRLF "a" CRLF D CRLF DISP("category") CRLF "b" CRLF D "--", 0, MP_ERR_DUPLICATE_FIELD },
	{ "name too long", CT, D CRLF DISP("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") CRLF "1" CRLF D "--", 0, MP_ERR_NAME_TOO_LONG },
};

START_TEST(test_table)
{
	const struct mp_case *c = &cases[_i];
	enum mp_err rc;

	rc = parse_lim(c->ct, c->body, c->len != 0 ? c->len : strlen(c->body), NULL);
	ck_assert_msg(rc == c->want, "%s: got %s (%s), want %s", c->name,
	    multipart_code(rc), errstr != NULL ? errstr : "-", multipart_code(c->want));
	if (rc != MP_OK) {
		ck_assert_ptr_nonnull(errstr);
		ck_assert_uint_eq(res.nfields, 0);
		ck_assert(!res.has_file);
	}
}
END_TEST

START_TEST(test_upload_shape)
{
	static const char body[] =
	    "ignored preamble" CRLF
	    D CRLF DISP("category") CRLF "properties" CRLF
	    D CRLF DISP("entityId") CRLF "prop_42" CRLF
	    D CRLF FILEHDR "\x89PNG-data" CRLF
	    D CRLF DISP("subcategory") CRLF "photos" CRLF
	    D CRLF DISP("metadata") CRLF "{\"k\":\"v\"}" CRLF
	    D "--" CRLF "epilogue";
	const struct multipart_field *f;

	ck_assert_int_eq(parse(CT, body), MP_OK);
	ck_assert_uint_eq(res.nfields, 4);
	ck_assert_str_eq(res.fields[0].name, "category");
	ck_assert_str_eq(res.fields[0].value, "properties");
	ck_assert_uint_eq(res.fields[0].len, 10);
	ck_assert(!res.fields[0].has_nul);
	f = multipart_field_get(&res, "metadata");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->value, "{\"k\":\"v\"}");
	ck_assert_ptr_null(multipart_field_get(&res, "file"));
	ck_assert(res.has_file);
	ck_assert_str_eq(res.file.filename, "a.png");
	ck_assert_str_eq(res.file.content_type, "image/png");
	ck_assert_int_eq(res.file.offset, at(body, "\x89PNG"));
	ck_assert_int_eq(res.file.length, 9);
}
END_TEST

START_TEST(test_empty_file_and_field)
{
	static const char body[] = D CRLF FILEHDR CRLF D CRLF DISP("a") CRLF CRLF D "--";

	ck_assert_int_eq(parse(CT, body), MP_OK);
	ck_assert(res.has_file);
	ck_assert_int_eq(res.file.length, 0);
	ck_assert_int_eq(res.file.offset, at(body, FILEHDR) + (off_t)strlen(FILEHDR));
	ck_assert_uint_eq(res.nfields, 1);
	ck_assert_uint_eq(res.fields[0].len, 0);
	ck_assert_str_eq(res.fields[0].value, "");
}
END_TEST

START_TEST(test_field_with_nul_and_crlf)
{
	static const char body[] = D CRLF DISP("metadata") CRLF "a\0b" CRLF "c" CRLF D "--";

	ck_assert_int_eq(parse_lim(CT, body, sizeof(body) - 1, NULL), MP_OK);
	ck_assert_uint_eq(res.fields[0].len, 6);
	ck_assert(res.fields[0].has_nul);
	ck_assert_int_eq(memcmp(res.fields[0].value, "a\0b\r\nc", 6), 0);
}
END_TEST

START_TEST(test_filename_forms)
{
	static const char b1[] = D CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename=\"plain.txt\"; "
	    "filename*=UTF-8''%E2%82%AC%20rates.pdf" CRLF CRLF "x" CRLF D "--";
	static const char b2[] = D CRLF
	    "Content-Disposition: form-data; filename*=utf-8'en'na%C3%AFve.doc; name=file" CRLF CRLF "x" CRLF D "--";
	static const char b3[] = D CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename=\"say \\\"hi\\\" \\\\ ok.txt\"" CRLF CRLF "x" CRLF D "--";
	static const char b4[] = D CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename*=ISO-8859-1''caf%E9.txt" CRLF CRLF "x" CRLF D "--";
	static const char b5[] = D CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename=\"keep.txt\"; filename*=koi8-r''%C1" CRLF CRLF "x" CRLF D "--";
	static const char b6[] = D CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename=\"\xe6\x97\xa5\xe6\x9c\xac.png\"" CRLF CRLF "x" CRLF D "--";
	static const char b7[] = D CRLF DISP("file") CRLF "x" CRLF D "--";

	ck_assert_int_eq(parse(CT, b1), MP_OK);
	ck_assert_str_eq(res.file.filename, "\xe2\x82\xac rates.pdf");
	ck_assert_int_eq(parse(CT, b2), MP_OK);
	ck_assert_str_eq(res.file.filename, "na\xc3\xafve.doc");
	ck_assert_int_eq(parse(CT, b3), MP_OK);
	ck_assert_str_eq(res.file.filename, "say \"hi\" \\ ok.txt");
	ck_assert_int_eq(parse(CT, b4), MP_OK);
	ck_assert_str_eq(res.file.filename, "caf\xc3\xa9.txt");
	ck_assert_int_eq(parse(CT, b5), MP_OK);	/* unknown charset: ignored */
	ck_assert_str_eq(res.file.filename, "keep.txt");
	ck_assert_int_eq(parse(CT, b6), MP_OK);
	ck_assert_str_eq(res.file.filename, "\xe6\x97\xa5\xe6\x9c\xac.png");
	ck_assert_int_eq(parse(CT, b7), MP_OK);
	ck_assert(res.has_file);
	ck_assert_ptr_null(res.file.filename);
	ck_assert_ptr_null(res.file.content_type);
}
END_TEST

START_TEST(test_fake_delimiters_in_file)
{
	/* None of these is "CRLF--XyZ" followed by padding, CRLF or "--". */
	static const char content[] =
	    "--XyZ at the start: the CRLF before it ended the headers" CRLF
	    "x\n--XyZ" CRLF "bare CR\r--XyZ--" CRLF
	    "\r\n-XyZ\r\n--XyZZ\r\n--XyZ-x\r\n--Xy\r\n--";
	char body[512];
	int n;

	n = snprintf(body, sizeof(body), D CRLF FILEHDR "%s" CRLF D "--" CRLF, content);
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, NULL), MP_OK);
	ck_assert_int_eq(res.file.offset, at(body, content));
	ck_assert_int_eq(res.file.length, (off_t)strlen(content));
}
END_TEST

START_TEST(test_limits)
{
	struct multipart_limits lim;
	char body[4096];
	int i, n;

	multipart_limits_default(&lim);
	ck_assert_uint_eq(lim.max_parts, 16);
	ck_assert_uint_eq(lim.max_header_bytes, 8192);
	ck_assert_uint_eq(lim.max_field_bytes, 65536);

	lim.max_field_bytes = 4;
	n = snprintf(body, sizeof(body), D CRLF DISP("a") CRLF "1234" CRLF D "--");
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_OK);
	n = snprintf(body, sizeof(body), D CRLF DISP("a") CRLF "12345" CRLF D "--");
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_ERR_FIELD_TOO_LARGE);
	/* The file part is never copied, so no field cap applies to it. */
	n = snprintf(body, sizeof(body), D CRLF FILEHDR "123456789" CRLF D "--");
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_OK);

	multipart_limits_default(&lim);
	lim.max_parts = 3;
	for (n = 0, i = 0; i < 3; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, D CRLF "Content-Disposition: form-data; name=f%d" CRLF CRLF "v" CRLF, i);
	snprintf(body + n, sizeof(body) - (size_t)n, D "--");
	ck_assert_int_eq(parse_lim(CT, body, strlen(body), &lim), MP_OK);
	ck_assert_uint_eq(res.nfields, 3);
	n += snprintf(body + n, sizeof(body) - (size_t)n, D CRLF DISP("g") CRLF "v" CRLF);
	snprintf(body + n, sizeof(body) - (size_t)n, D "--");
	ck_assert_int_eq(parse_lim(CT, body, strlen(body), &lim), MP_ERR_TOO_MANY_PARTS);

	multipart_limits_default(&lim);
	lim.max_header_bytes = 100;
	n = snprintf(body, sizeof(body), D CRLF DISP("a") "X-Pad: %060d" CRLF CRLF "1" CRLF D "--", 0);
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_ERR_HEADER_TOO_LARGE);
	n = snprintf(body, sizeof(body), D CRLF DISP("a") "X-Pad: %020d" CRLF CRLF "1" CRLF D "--", 0);
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_OK);
	/* One endless header line is caught without waiting for its end. */
	n = snprintf(body, sizeof(body), D CRLF "X-Pad: %0999d", 0);
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, &lim), MP_ERR_HEADER_TOO_LARGE);
}
END_TEST

START_TEST(test_default_header_limit)
{
	size_t len = 9000;
	char *body = malloc(len + 200);
	int n;

	n = sprintf(body, D CRLF DISP("a") "X-Pad: ");
	memset(body + n, 'p', len);
	n += (int)len;
	n += sprintf(body + n, CRLF CRLF "1" CRLF D "--");
	ck_assert_int_eq(parse_lim(CT, body, (size_t)n, NULL), MP_ERR_HEADER_TOO_LARGE);
	free(body);
}
END_TEST

/* A body whose file part is len bytes of filler holding near-delimiters. */
static char *
straddle_body(size_t lead, size_t len, size_t *blen, size_t *off)
{
	static const char hdr[] = D CRLF FILEHDR;
	static const char pat[] = "\r\n--XyZx\r\n--Xy\r\n-";
	char *b = malloc(lead + sizeof(hdr) + len + 64);
	size_t i, n = 0;

	/* A preamble (its own line) shifts everything. */
	memset(b, 'p', lead);
	n = lead;
	if (lead > 0) {
		memcpy(b + n, CRLF, 2);
		n += 2;
	}
	memcpy(b + n, hdr, sizeof(hdr) - 1);
	n += sizeof(hdr) - 1;
	*off = n;
	for (i = 0; i < len; i++)
		b[n + i] = pat[i % (sizeof(pat) - 1)];
	/* Cut right after "CRLF--XyZ" the filler would end in a delimiter. */
	if (len >= 7 && memcmp(b + n + len - 7, "\r\n--XyZ", 7) == 0)
		b[n + len - 1] = 'z';
	n += len;
	memcpy(b + n, CRLF D "--" CRLF, 11);
	n += 11;
	*blen = n;
	return b;
}

START_TEST(test_window_edges)
{
	struct multipart_limits lim;
	size_t lead, len, blen, off, win;
	char *b;

	multipart_limits_default(&lim);
	/* Default window: move the closing delimiter across the 64 KiB edge
	 * (the window starts with 2 virtual bytes, hence the slack). */
	for (len = 65536 - 200; len < 65536 + 20; len++) {
		b = straddle_body(0, len, &blen, &off);
		ck_assert_int_eq(parse_lim(CT, b, blen, NULL), MP_OK);
		ck_assert_int_eq(res.file.offset, (off_t)off);
		ck_assert_int_eq(res.file.length, (off_t)len);
		free(b);
	}
	/* A small window: every alignment of delimiter and window edge. */
	lim.max_header_bytes = 128;
	for (win = 0; win <= 400; win += 37) {
		lim.buffer_size = win;
		for (lead = 0; lead < 90; lead += 7)
			for (len = 0; len < 700; len += 3) {
				b = straddle_body(lead, len, &blen, &off);
				ck_assert_int_eq(parse_lim(CT, b, blen, &lim), MP_OK);
				ck_assert_int_eq(res.file.offset, (off_t)off);
				ck_assert_int_eq(res.file.length, (off_t)len);
				free(b);
			}
	}
}
END_TEST

static FILE *
tmpbody(const char *data, size_t len)
{
	FILE *fp = tmpfile();

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	fflush(fp);
	return fp;
}

START_TEST(test_fd_short_file_is_io)
{
	static const char body[] = D CRLF DISP("a") CRLF "1" CRLF D "--";
	FILE *fp = tmpbody(body, sizeof(body) - 1);

	ck_assert_int_eq(multipart_parse_fd(fileno(fp), (off_t)sizeof(body) - 1, CT, NULL, pool, &res, &errstr), MP_OK);
	ck_assert_int_eq(multipart_parse_fd(fileno(fp), 1000, CT, NULL, pool, &res, &errstr), MP_OK);
	ck_assert_int_eq(multipart_parse_fd(fileno(fp), 10, CT, NULL, pool, &res, &errstr), MP_ERR_TRUNCATED);
	fclose(fp);
	fp = tmpbody(body, 12);
	ck_assert_int_eq(multipart_parse_fd(fileno(fp), (off_t)sizeof(body) - 1, CT, NULL, pool, &res, &errstr), MP_ERR_IO);
	ck_assert_int_eq(multipart_parse_fd(-1, 100, CT, NULL, pool, &res, &errstr), MP_ERR_IO);
	ck_assert_int_eq(multipart_err(MP_ERR_IO), ERR_SYS);
	ck_assert_int_eq(multipart_err(MP_ERR_SYNTAX), ERR_BADREQ);
	fclose(fp);
}
END_TEST

START_TEST(test_20mib_file)
{
	static const char head[] =
	    "preamble" CRLF D CRLF DISP("category") CRLF "documents" CRLF
	    D CRLF "Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"" CRLF
	    "Content-Type: application/octet-stream" CRLF CRLF;
	static const char tail[] = CRLF D CRLF DISP("subcategory") CRLF "leases" CRLF D "--" CRLF;
	size_t size = 20u << 20, chunk = 1u << 20, i, j;
	unsigned char *buf = malloc(chunk), probe[16];
	uint32_t x = 12345;
	FILE *fp = tmpfile();
	off_t total;

	ck_assert_ptr_nonnull(fp);
	fwrite(head, 1, sizeof(head) - 1, fp);
	for (i = 0; i < size / chunk; i++) {
		for (j = 0; j < chunk; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = (unsigned char)(x >> 16);
		}
		if (i == 0)
			memcpy(buf, "BEGIN", 5);
		ck_assert_uint_eq(fwrite(buf, 1, chunk, fp), chunk);
	}
	fwrite(tail, 1, sizeof(tail) - 1, fp);
	fflush(fp);
	total = (off_t)(sizeof(head) - 1 + size + sizeof(tail) - 1);

	ck_assert_int_eq(multipart_parse_fd(fileno(fp), total, CT, NULL, pool, &res, &errstr), MP_OK);
	ck_assert(res.has_file);
	ck_assert_int_eq(res.file.offset, (off_t)sizeof(head) - 1);
	ck_assert_int_eq(res.file.length, (off_t)size);
	ck_assert_str_eq(res.file.filename, "big.bin");
	ck_assert_uint_eq(res.nfields, 2);
	ck_assert_str_eq(multipart_field_get(&res, "subcategory")->value, "leases");
	ck_assert_int_eq(pread(fileno(fp), probe, 5, res.file.offset), 5);
	ck_assert_int_eq(memcmp(probe, "BEGIN", 5), 0);
	ck_assert_int_eq(pread(fileno(fp), probe, 2, res.file.offset + res.file.length), 2);
	ck_assert_int_eq(memcmp(probe, CRLF, 2), 0);
	free(buf);
	fclose(fp);
}
END_TEST

START_TEST(test_strerror_and_codes)
{
	int i;

	for (i = 0; i < MP_ERR__COUNT; i++) {
		ck_assert_ptr_nonnull(multipart_strerror((enum mp_err)i));
		ck_assert_ptr_nonnull(multipart_code((enum mp_err)i));
	}
	ck_assert_str_eq(multipart_code(MP_ERR_TRUNCATED), "MULTIPART_TRUNCATED");
	ck_assert_str_eq(multipart_strerror((enum mp_err)999), "unknown multipart error");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_upload_shape);
	tcase_add_test(tc, test_empty_file_and_field);
	tcase_add_test(tc, test_field_with_nul_and_crlf);
	tcase_add_test(tc, test_filename_forms);
	tcase_add_test(tc, test_fake_delimiters_in_file);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_default_header_limit);
	tcase_add_test(tc, test_window_edges);
	tcase_add_test(tc, test_fd_short_file_is_io);
	tcase_add_test(tc, test_20mib_file);
	tcase_add_test(tc, test_strerror_and_codes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
