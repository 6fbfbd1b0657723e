/* store_local.c - objects as files under LOCAL_STORAGE_PATH, written atomically. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store/store.h"
#include "base/xmalloc.h"

struct store_local {
	char	*root;
	int	 rootfd;
};

static void *
store_local_open(const struct conf *conf, const char **errstr)
{
	struct store_local *s;
	int fd;

	if ((fd = open(conf->local_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*errstr = "cannot open the local storage root";
		log_warn("local storage root %s", conf->local_path);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(conf->local_path);
	s->rootfd = fd;
	return s;
}

static void
store_local_close(void *h)
{
	struct store_local *s = h;

	if (s == NULL)
		return;
	close(s->rootfd);
	free(s->root);
	free(s);
}

enum err
store_errno(const char **errstr, const char *what)
{
	*errstr = what;
	if (errno == ENOSPC || errno == EDQUOT || errno == EROFS || errno == EIO)
		return ERR_BACKEND;
	return ERR_SYS;
}

/* mkdir -p for the parent directories of key, relative to the root. */
static int
store_local_mkdirs(struct store_local *s, const char *key)
{
	char path[PATH_MAX];
	char *p;

	if (snprintf(path, sizeof(path), "%s", key) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(s->rootfd, path, 0750) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int
store_local_fsync_parent(struct store_local *s, const char *key)
{
	char path[PATH_MAX];
	char *slash;
	int fd, rc;

	snprintf(path, sizeof(path), "%s", key);
	if ((slash = strrchr(path, '/')) == NULL)
		return fsync(s->rootfd);
	*slash = '\0';
	if ((fd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
store_write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
store_copy_range(int in, off_t offset, off_t length, int out)
{
	loff_t off_in = offset;
	char buf[65536];
	ssize_t n;

	while (length > 0) {
		n = copy_file_range(in, &off_in, out, NULL, (size_t)length, 0);
		if (n > 0) {
			length -= n;
			continue;
		}
		if (n == 0) {
			errno = EIO;	/* the body file is shorter than announced */
			return -1;
		}
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP)
			return -1;
		/* No kernel copy between these files: plain read/write. */
		while (length > 0) {
			n = pread(in, buf, length < (off_t)sizeof(buf) ? (size_t)length :
			    sizeof(buf), off_in);
			if (n <= 0) {
				if (n == 0)
					errno = EIO;
				return -1;
			}
			if (store_write_all(out, buf, (size_t)n) == -1)
				return -1;
			off_in += n;
			length -= n;
		}
	}
	return 0;
}

static enum err
store_local_put(void *h, const char *key, const struct store_put *p, const char **errstr)
{
	struct store_local *s = h;
	char tmp[PATH_MAX], procpath[64];
	int out = -1;
	enum err rc;

	/* Zero-copy for a raw body: hard-link nginx's temp file into place.
	 * It is complete (nginx wrote it all before handing it over) and
	 * fsync'd here, so linking it publishes a whole object. */
	if (p->whole_file && p->buf == NULL) {
		snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", p->fd);
		if (fsync(p->fd) == -1)
			return store_errno(errstr, "syncing the request body");
		if (linkat(AT_FDCWD, procpath, s->rootfd, key, AT_SYMLINK_FOLLOW) == 0 ||
		    (errno == ENOENT && store_local_mkdirs(s, key) == 0 &&
		    linkat(AT_FDCWD, procpath, s->rootfd, key, AT_SYMLINK_FOLLOW) == 0))
			goto durable;
		if (errno == EEXIST) {
			*errstr = "object key already exists";
			return ERR_CONFLICT;
		}
		/* EXDEV (another filesystem) or EPERM (protected_hardlinks):
		 * fall back to copying. */
	}

	/* Otherwise a nameless file in the target directory, filled, fsync'd,
	 * then given its name in one step: readers never see a partial object. */
	snprintf(tmp, sizeof(tmp), "%s", key);
	*strrchr(tmp, '/') = '\0';
	/* The directories usually exist: create them only when told not. */
	out = openat(s->rootfd, tmp, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
	if (out == -1 && errno == ENOENT) {
		if (store_local_mkdirs(s, key) == -1)
			return store_errno(errstr, "creating the object's directory");
		out = openat(s->rootfd, tmp, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
	}
	if (out == -1) {
		rc = store_errno(errstr, "creating the object file");
		goto fail;
	}
	if (p->buf != NULL ? store_write_all(out, p->buf, (size_t)p->length) == -1 :
	    store_copy_range(p->fd, p->offset, p->length, out) == -1) {
		rc = store_errno(errstr, "writing the object");
		goto fail;
	}
	if (fsync(out) == -1) {
		rc = store_errno(errstr, "syncing the object");
		goto fail;
	}
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", out);
	if (linkat(AT_FDCWD, procpath, s->rootfd, key, AT_SYMLINK_FOLLOW) == -1) {
		if (errno == EEXIST) {
			*errstr = "object key already exists";
			rc = ERR_CONFLICT;
		} else
			rc = store_errno(errstr, "publishing the object");
		goto fail;
	}
	close(out);
	out = -1;
durable:
	if (store_local_fsync_parent(s, key) == -1) {
		rc = store_errno(errstr, "syncing the object's directory");
		unlinkat(s->rootfd, key, 0);
		goto fail;
	}
	return ERR_OK;
fail:
	if (out != -1)
		close(out);	/* an O_TMPFILE vanishes with its last descriptor */
	return rc;
}

static enum err
store_local_head(void *h, const char *key, struct store_stat *st, const char **errstr)
{
	struct store_local *s = h;
	struct stat sb;

	if (fstatat(s->rootfd, key, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ERR_NOTFOUND;
		return store_errno(errstr, "stat of the object");
	}
	if (!S_ISREG(sb.st_mode))
		return ERR_NOTFOUND;
	st->size = sb.st_size;
	st->mtime = sb.st_mtime;
	return ERR_OK;
}

static enum err
store_local_del(void *h, const char *key, const char **errstr)
{
	struct store_local *s = h;

	if (unlinkat(s->rootfd, key, 0) == -1 && errno != ENOENT && errno != ENOTDIR)
		return store_errno(errstr, "removing the object");
	return ERR_OK;
}

/* Depth-first walk below dirpath (relative to the root). */
static int
store_local_walk(struct store_local *s, const char *dirpath, const char *prefix,
    store_list_cb cb, void *arg)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, stop = 0;

	if ((fd = openat(s->rootfd, dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (!stop && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s",
		    strcmp(dirpath, ".") == 0 ? "" : dirpath,
		    strcmp(dirpath, ".") == 0 ? "" : "/", de->d_name) >= (int)sizeof(child))
			continue;
		if (fstatat(s->rootfd, child, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (store_local_walk(s, child, prefix, cb, arg) == -1)
				stop = -1;
		} else if (S_ISREG(sb.st_mode) && strncmp(child, prefix, strlen(prefix)) == 0) {
			if (cb(arg, child, sb.st_size, sb.st_mtime) != 0)
				stop = 1;
		}
	}
	closedir(d);
	return stop == -1 ? -1 : 0;
}

static enum err
store_local_list(void *h, const char *prefix, store_list_cb cb, void *arg, const char **errstr)
{
	struct store_local *s = h;
	char dir[PATH_MAX];
	char *slash;

	/* Start at the deepest directory the prefix names. */
	snprintf(dir, sizeof(dir), "%s", prefix);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		*slash = '\0';
	if (store_local_walk(s, dir, prefix, cb, arg) == -1)
		return store_errno(errstr, "listing objects");
	return ERR_OK;
}

static enum err
store_local_ping(void *h, const char **errstr)
{
	struct store_local *s = h;

	if (faccessat(s->rootfd, ".", W_OK | X_OK, AT_EACCESS) == -1)
		return store_errno(errstr, "the storage root is not writable");
	return ERR_OK;
}

const struct store_backend store_local_backend = {
	.name = "local",
	.puts_memory = 1,
	.records_after_put = 1,
	.open = store_local_open,
	.close = store_local_close,
	.put = store_local_put,
	.head = store_local_head,
	.del = store_local_del,
	.list = store_local_list,
	.ping = store_local_ping,
};
