/* check_mime.c - what libmagic says about real sample files, the allowlist, extensions, file types. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <magic.h>

#include "engine/mime.h"

#ifndef TEST_DATADIR
#error "TEST_DATADIR must name tests/unit/data"
#endif

#define DOCX	"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define XLSX	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static struct mime *m;

static void
setup(void)
{
	const char *errstr = NULL;

	ck_assert_int_eq(mime_new(&m, NULL, &errstr), ERR_OK);
}

static void
teardown(void)
{
	mime_free(m);
}

/* The whole file, malloc'd; *len its size. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "cannot open %s", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/*
 * Sniff path three ways: alone in a file, in memory, and as a byte range
 * in the middle of a bigger file (how an upload's file part arrives).
 */
static const char *
sniff(const char *path)
{
	static char type[MIME_TYPE_MAX];
	char t2[MIME_TYPE_MAX], t3[MIME_TYPE_MAX];
	const char *errstr = NULL;
	unsigned char *b;
	size_t len;
	FILE *fp;
	long head;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		ck_abort_msg("cannot open %s", path);
	b = slurp(path, &len);
	ck_assert_int_eq(mime_sniff_fd(m, fd, 0, len, type, sizeof(type), &errstr), ERR_OK);
	close(fd);
	ck_assert_int_eq(mime_sniff_mem(m, b, len, t2, sizeof(t2), &errstr), ERR_OK);
	ck_assert_str_eq(type, t2);

	fp = tmpfile();
	fputs("--boundary\r\nContent-Type: text/html\r\n\r\n", fp);
	head = ftell(fp);
	fwrite(b, 1, len, fp);
	fputs("\r\n--boundary--\r\nPK\005\006 trailing junk", fp);
	fflush(fp);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), head, len, t3, sizeof(t3), &errstr), ERR_OK);
	ck_assert_msg(strcmp(type, t3) == 0, "%s: whole %s, range %s", path, type, t3);
	fclose(fp);
	free(b);
	return type;
}

struct sample {
	const char	*file;
	const char	*type;
	bool		 allowed;
	const char	*ext;
	const char	*ftype;
};

static const struct sample samples[] = {
	{ "sample.png", "image/png", true, ".png", "image" },
	{ "sample.jpg", "image/jpeg", true, ".jpg", "image" },
	{ "sample.gif", "image/gif", true, ".gif", "image" },
	{ "sample.pdf", "application/pdf", true, ".pdf", "document" },
	{ "sample.docx", DOCX, true, ".docx", "document" },
	{ "sample.xlsx", XLSX, true, ".xlsx", "document" },
	{ "sample.doc", "application/msword", true, ".doc", "document" },
	{ "sample.xls", "application/vnd.ms-excel", true, ".xls", "document" },
	/* libmagic alone: application/octet-stream ("Microsoft OOXML"). */
	{ "late-word.docx", DOCX, true, ".docx", "document" },
	{ "sample.zip", "application/zip", false, "", "other" },
	/* libmagic alone: DOCX, because its first entry is word/... */
	{ "fake-ooxml.zip", "application/zip", false, "", "other" },
	{ "sample.html", "text/html", false, "", "other" },
};

START_TEST(test_samples)
{
	const struct sample *s = &samples[_i];
	char path[512];
	const char *type;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATADIR, s->file);
	type = sniff(path);
	ck_assert_msg(strcmp(type, s->type) == 0, "%s: got %s want %s", s->file, type, s->type);
	ck_assert_int_eq(mime_allowed(type, NULL), s->allowed);
	ck_assert_str_eq(mime_extension(type), s->ext);
	ck_assert_str_eq(mime_file_type(type), s->ftype);
}
END_TEST

START_TEST(test_elf_rejected)
{
	const char *type = sniff("/bin/true");

	/* Debian 12 builds PIE: "application/x-pie-executable". */
	ck_assert_msg(strncmp(type, "application/x-", 14) == 0, "ELF is %s", type);
	ck_assert(!mime_allowed(type, NULL));
	ck_assert_str_eq(mime_extension(type), "");
}
END_TEST

START_TEST(test_client_claims_ignored)
{
	/* HTML named .png and sent as image/png is still HTML. */
	static const char html[] = "<html><body><script>x()</script></body></html>\n";
	char type[MIME_TYPE_MAX];

	ck_assert_int_eq(mime_sniff_mem(m, html, sizeof(html) - 1, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, "text/html");
	ck_assert_int_eq(mime_sniff_mem(m, "", 0, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, "application/x-empty");
	ck_assert(!mime_allowed(type, NULL));
}
END_TEST

static void
put16(FILE *fp, unsigned v)
{
	fputc((int)(v & 0xff), fp);
	fputc((int)(v >> 8 & 0xff), fp);
}

static void
put32(FILE *fp, unsigned long v)
{
	put16(fp, (unsigned)(v & 0xffff));
	put16(fp, (unsigned)(v >> 16 & 0xffff));
}

/*
 * A stored (uncompressed) ZIP of names[i] with sizes[i] bytes each: enough
 * structure for libmagic and the central-directory walk (CRCs are not
 * checked by either).  Returns the archive's length.
 */
static long
write_zip(FILE *fp, const char *const *names, const size_t *sizes, int n)
{
	long start = ftell(fp), offs[16], cd, eocd;
	size_t j;
	int i;

	for (i = 0; i < n; i++) {
		offs[i] = ftell(fp) - start;
		fwrite("PK\003\004", 1, 4, fp);
		put16(fp, 20); put16(fp, 0); put16(fp, 0); put16(fp, 0); put16(fp, 0);
		put32(fp, 0); put32(fp, sizes[i]); put32(fp, sizes[i]);
		put16(fp, (unsigned)strlen(names[i])); put16(fp, 0);
		fputs(names[i], fp);
		for (j = 0; j < sizes[i]; j++)
			fputc("<x/>"[j % 4], fp);
	}
	cd = ftell(fp) - start;
	for (i = 0; i < n; i++) {
		fwrite("PK\001\002", 1, 4, fp);
		put16(fp, 20); put16(fp, 20); put16(fp, 0); put16(fp, 0); put16(fp, 0); put16(fp, 0);
		put32(fp, 0); put32(fp, sizes[i]); put32(fp, sizes[i]);
		put16(fp, (unsigned)strlen(names[i])); put16(fp, 0); put16(fp, 0);
		put16(fp, 0); put16(fp, 0); put32(fp, 0); put32(fp, (unsigned long)offs[i]);
		fputs(names[i], fp);
	}
	eocd = ftell(fp) - start;
	fwrite("PK\005\006", 1, 4, fp);
	put16(fp, 0); put16(fp, 0); put16(fp, (unsigned)n); put16(fp, (unsigned)n);
	put32(fp, (unsigned long)(eocd - cd));
	put32(fp, (unsigned long)cd);
	put16(fp, 0);
	fflush(fp);
	return ftell(fp) - start;
}

START_TEST(test_zip_past_window)
{
	/* Office files past the sniff window: libmagic sees the first MiB
	 * only; the central directory is read from the end of the range. */
	static const char *const docx[] = {
		"[Content_Types].xml", "_rels/.rels", "docProps/app.xml",
		"customXml/item1.xml", "word/media/image1.png", "word/document.xml",
	};
	static const char *const zip[] = { "a.txt", "big.bin", "word.txt" };
	static const char *const both[] = { "[Content_Types].xml", "word/document.xml", "xl/workbook.xml" };
	size_t dsizes[] = { 300, 200, 100, 100, 3u << 20, 500 };
	size_t zsizes[] = { 10, 2u << 20, 10 };
	size_t bsizes[] = { 10, 10, 10 };
	char type[MIME_TYPE_MAX];
	FILE *fp = tmpfile();
	long len;

	len = write_zip(fp, docx, dsizes, 6);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 0, (size_t)len, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, DOCX);
	/* The same archive as a range after other bytes. */
	fclose(fp);
	fp = tmpfile();
	fputs("preamble bytes", fp);
	len = write_zip(fp, docx, dsizes, 6);
	fputs("epilogue", fp);
	fflush(fp);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 14, (size_t)len, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, DOCX);
	/* Cut short (a truncated upload): no central directory, plain zip. */
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 14, (size_t)len - 30, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, "application/zip");
	/* Range past the end of the file: a read error, not a guess. */
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 0, (size_t)len + (4u << 20), type, sizeof(type), NULL), ERR_SYS);
	ck_assert_int_eq(mime_sniff_fd(m, -1, 0, 10, type, sizeof(type), NULL), ERR_SYS);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 14, (size_t)len, type, 5, NULL), ERR_INTERNAL);
	fclose(fp);

	fp = tmpfile();
	len = write_zip(fp, zip, zsizes, 3);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 0, (size_t)len, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, "application/zip");
	fclose(fp);

	/* Both word/ and xl/: not one Office document, so a zip. */
	fp = tmpfile();
	len = write_zip(fp, both, bsizes, 3);
	ck_assert_int_eq(mime_sniff_fd(m, fileno(fp), 0, (size_t)len, type, sizeof(type), NULL), ERR_OK);
	ck_assert_str_eq(type, "application/zip");
	fclose(fp);
}
END_TEST

START_TEST(test_allowlist_and_tables)
{
	static const char *const only_pdf[] = { "application/pdf", NULL };

	ck_assert(mime_allowed("application/pdf", only_pdf));
	ck_assert(!mime_allowed("image/png", only_pdf));
	ck_assert(mime_allowed("image/png", NULL));
	ck_assert(!mime_allowed("image/png ", NULL));
	ck_assert(!mime_allowed("IMAGE/PNG", NULL));
	ck_assert(!mime_allowed(NULL, NULL));
	ck_assert(!mime_allowed("application/zip", NULL));
	ck_assert_str_eq(mime_file_type("video/mp4"), "video");
	ck_assert_str_eq(mime_file_type("audio/mpeg"), "audio");
	ck_assert_str_eq(mime_file_type("application/vnd.ms-powerpoint"), "document");
	ck_assert_str_eq(mime_file_type("application/vnd.openxmlformats-officedocument.presentationml.presentation"), "document");
	ck_assert_str_eq(mime_file_type("application/zip"), "other");
	ck_assert_str_eq(mime_file_type(NULL), "other");
	ck_assert_str_eq(mime_extension("text/html"), "");
	ck_assert_str_eq(mime_extension(NULL), "");
}
END_TEST

/*
 * The default allowlist names no textual type, so the handle caps
 * libmagic's encoding pass (MIME_ENCODING_MAX): every verdict must be the
 * one an uncapped libmagic gives, and so must the type whenever either is
 * allowed.  Cases: every sample, long ASCII bodies behind a binary
 * signature, text that turns binary past the cap, plain text.  A handle
 * for a textual allowlist is not capped: it gives libmagic's own type.
 * (mime_sniff also settles ZIPs, which libmagic alone does not: ZIP-based
 * samples are left to test_samples.)
 */
static void
capped_same(const unsigned char *b, size_t len, const char *what)
{
	static const char *const textual[] = { "text/plain", NULL };
	magic_t plain = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	char capped[MIME_TYPE_MAX], full[MIME_TYPE_MAX];
	const char *errstr = NULL, *want;
	struct mime *mt;

	ck_assert_ptr_nonnull(plain);
	ck_assert_int_eq(magic_load(plain, NULL), 0);
	want = magic_buffer(plain, b, len < MIME_SNIFF_MAX ? len : MIME_SNIFF_MAX);
	ck_assert_ptr_nonnull(want);
	ck_assert_int_eq(mime_sniff_mem(m, b, len, capped, sizeof(capped), &errstr), ERR_OK);
	ck_assert_msg(mime_allowed(capped, NULL) == mime_allowed(want, NULL),
	    "%s: capped %s, libmagic %s", what, capped, want);
	if (mime_allowed(want, NULL))
		ck_assert_msg(strcmp(capped, want) == 0, "%s: capped %s, libmagic %s", what,
		    capped, want);
	ck_assert_int_eq(mime_new(&mt, textual, &errstr), ERR_OK);
	ck_assert_int_eq(mime_sniff_mem(mt, b, len, full, sizeof(full), &errstr), ERR_OK);
	ck_assert_msg(strcmp(full, want) == 0, "%s: textual allowlist %s, libmagic %s", what,
	    full, want);
	mime_free(mt);
	magic_close(plain);
}

START_TEST(test_capped_verdicts)
{
	static const char *const files[] = {
		"sample.png", "sample.jpg", "sample.gif", "sample.pdf", "sample.doc",
		"sample.xls", "sample.html", "mksamples.py",
	};
	static const size_t sizes[] = { 100, 4095, 4097, 65536, 1048576 + 10 };
	unsigned char *b;
	size_t i, j, len, n;
	char what[64];

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", TEST_DATADIR, files[i]);
		b = slurp(path, &len);
		capped_same(b, len, files[i]);
		free(b);
	}
	for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
		n = sizes[j];
		b = malloc(n);
		/* A PDF with an ASCII body, as the benchmarks send. */
		memset(b, '0', n);
		memcpy(b, "%PDF-1.4\n", 9);
		snprintf(what, sizeof(what), "ascii pdf %zu", n);
		capped_same(b, n, what);
		/* Plain text, then a binary byte past the cap. */
		memset(b, 'a', n);
		b[n - 1] = 0x01;
		snprintf(what, sizeof(what), "text turning binary at %zu", n);
		capped_same(b, n, what);
		memset(b, 'a', n);
		snprintf(what, sizeof(what), "text %zu", n);
		capped_same(b, n, what);
		free(b);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_samples, 0, (int)(sizeof(samples) / sizeof(samples[0])));
	tcase_add_test(tc, test_elf_rejected);
	tcase_add_test(tc, test_client_claims_ignored);
	tcase_add_test(tc, test_zip_past_window);
	tcase_add_test(tc, test_allowlist_and_tables);
	tcase_add_test(tc, test_capped_verdicts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
