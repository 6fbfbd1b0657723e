/* check_store_local.c - the local backend: atomic puts, head, delete, list. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/digest.h"
#include "store/store.h"

static char root[64];
static struct conf conf;
static void *h;

static void
rmtree(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void
setup(void)
{
	const char *err = NULL;

	strcpy(root, "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	memset(&conf, 0, sizeof(conf));
	conf.local_path = root;
	h = store_local_backend.open(&conf, &err);
	ck_assert_ptr_nonnull(h);
}

static void
teardown(void)
{
	store_local_backend.close(h);
	rmtree(root);
}

/* A body file holding "HEADER" + payload + "TRAILER". */
static int
body_file(const char *payload, size_t len)
{
	char path[] = "/tmp/check_body.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "HEADER", 6), 6);
	ck_assert_int_eq(write(fd, payload, len), (ssize_t)len);
	ck_assert_int_eq(write(fd, "TRAILER", 7), 7);
	return fd;
}

static char *
slurp(const char *key, size_t *len)
{
	char path[512];
	static char buf[1 << 16];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, key);
	fd = open(path, O_RDONLY);
	if (fd == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_put_range_head_delete)
{
	const char *key = "customers/abc/documents/leases/1.pdf", *err = NULL;
	struct store_put p = { 0 };
	struct store_stat st;
	size_t len;
	char *got;
	int fd = body_file("payload-bytes", 13);

	p.fd = fd;
	p.offset = 6;
	p.length = 13;
	ck_assert_int_eq(store_local_backend.put(h, key, &p, &err), ERR_OK);
	got = slurp(key, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(len, 13);
	ck_assert_int_eq(memcmp(got, "payload-bytes", 13), 0);
	ck_assert_int_eq(store_local_backend.head(h, key, &st, &err), ERR_OK);
	ck_assert_int_eq(st.size, 13);
	/* Never overwritten: a second put of the same key is a conflict. */
	ck_assert_int_eq(store_local_backend.put(h, key, &p, &err), ERR_CONFLICT);
	ck_assert_int_eq(store_local_backend.del(h, key, &err), ERR_OK);
	ck_assert_int_eq(store_local_backend.head(h, key, &st, &err), ERR_NOTFOUND);
	/* Idempotent. */
	ck_assert_int_eq(store_local_backend.del(h, key, &err), ERR_OK);
	close(fd);
}
END_TEST

START_TEST(test_put_whole_file_links)
{
	const char *key = "customers/abc/avatars/2.png", *err = NULL;
	char path[] = "/tmp/check_store.whole.XXXXXX";
	struct store_put p = { 0 };
	struct stat a, b;
	char objpath[512];
	int fd;

	/* Same filesystem as the root (both under /tmp): a hard link. */
	fd = mkstemp(path);
	ck_assert_int_eq(write(fd, "whole body", 10), 10);
	p.fd = fd;
	p.length = 10;
	p.whole_file = 1;
	ck_assert_int_eq(store_local_backend.put(h, key, &p, &err), ERR_OK);
	snprintf(objpath, sizeof(objpath), "%s/%s", root, key);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_int_eq(stat(objpath, &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	/* nginx removing its temp file leaves the object intact. */
	unlink(path);
	ck_assert_int_eq(stat(objpath, &b), 0);
	ck_assert_int_eq(b.st_size, 10);
	close(fd);
}
END_TEST

static int nlisted;
static int
count_cb(void *arg, const char *key, int64_t size, time_t mtime)
{
	(void)arg;
	(void)mtime;
	ck_assert_int_eq(strncmp(key, "customers/", 10), 0);
	ck_assert_int_gt(size, 0);
	nlisted++;
	return 0;
}

START_TEST(test_list_prefix)
{
	const char *err = NULL;
	struct store_put p = { 0 };
	int fd = body_file("x", 1);

	p.fd = fd;
	p.offset = 6;
	p.length = 1;
	ck_assert_int_eq(store_local_backend.put(h, "customers/a/avatars/1.png", &p, &err), ERR_OK);
	ck_assert_int_eq(store_local_backend.put(h, "customers/a/documents/leases/2.pdf", &p, &err), ERR_OK);
	ck_assert_int_eq(store_local_backend.put(h, "customers/b/avatars/3.png", &p, &err), ERR_OK);
	nlisted = 0;
	ck_assert_int_eq(store_local_backend.list(h, "customers/a/", count_cb, NULL, &err), ERR_OK);
	ck_assert_int_eq(nlisted, 2);
	nlisted = 0;
	ck_assert_int_eq(store_local_backend.list(h, "customers/", count_cb, NULL, &err), ERR_OK);
	ck_assert_int_eq(nlisted, 3);
	close(fd);
}
END_TEST

START_TEST(test_short_body_leaves_nothing)
{
	const char *key = "customers/abc/avatars/short.png", *err = NULL;
	struct store_put p = { 0 };
	struct store_stat st;
	int fd = body_file("abc", 3);

	p.fd = fd;
	p.offset = 6;
	p.length = 1000;	/* more than the file holds */
	ck_assert_int_ne(store_local_backend.put(h, key, &p, &err), ERR_OK);
	ck_assert_int_eq(store_local_backend.head(h, key, &st, &err), ERR_NOTFOUND);
	close(fd);
}
END_TEST

START_TEST(test_digest)
{
	struct digest d;
	int fd = body_file("abc", 3);

	ck_assert_int_eq(digest_fd(fd, 6, 3, 1, &d), ERR_OK);
	ck_assert_str_eq(d.sha256_hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(d.md5_base64, "kAFQmDzST7DWlj99KOF/cg==");
	ck_assert_int_ne(digest_fd(fd, 6, 100, 1, &d), ERR_OK);
	/* Without MD5 (the local backend): the same SHA-256, no MD5. */
	ck_assert_int_eq(digest_fd(fd, 6, 3, 0, &d), ERR_OK);
	ck_assert_str_eq(d.sha256_hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(d.md5_base64, "");
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_local");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_range_head_delete);
	tcase_add_test(tc, test_put_whole_file_links);
	tcase_add_test(tc, test_list_prefix);
	tcase_add_test(tc, test_short_body_leaves_nothing);
	tcase_add_test(tc, test_digest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
