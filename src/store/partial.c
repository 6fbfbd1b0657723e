/* partial.c - the files resumable uploads are assembled in, appended and fsync'd per PATCH. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/partial.h"
#include "store/store.h"

void
partial_dir(const struct conf *conf, char *buf, size_t len)
{
	if (conf->uploads_dir != NULL && conf->uploads_dir[0] != '\0')
		snprintf(buf, len, "%s", conf->uploads_dir);
	else
		snprintf(buf, len, "%s/.uploads", conf->local_path);
}

enum err
partial_open(const char *dir, const char *customer_id, const char *upload_id,
    int create, int *fd, const char **errstr)
{
	char path[4096];

	*fd = -1;
	if (create) {
		if (mkdir(dir, 0750) == -1 && errno != EEXIST)
			return store_errno(errstr, "creating the partial-upload directory");
		snprintf(path, sizeof(path), "%s/%s", dir, customer_id);
		if (mkdir(path, 0750) == -1 && errno != EEXIST)
			return store_errno(errstr, "creating the customer's partial-upload directory");
	}
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, customer_id, upload_id) >=
	    (int)sizeof(path)) {
		*errstr = "partial-upload path too long";
		return ERR_SYS;
	}
	*fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT | O_TRUNC : 0), 0640);
	if (*fd == -1) {
		if (errno == ENOENT) {
			*errstr = "no partial file";
			return ERR_NOTFOUND;
		}
		return store_errno(errstr, "opening the partial file");
	}
	/* The new name must survive a crash like the bytes acknowledged in it. */
	if (create) {
		int dfd;

		snprintf(path, sizeof(path), "%s/%s", dir, customer_id);
		if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync(dfd) == -1) {
			if (dfd != -1)
				close(dfd);
			close(*fd);
			*fd = -1;
			return store_errno(errstr, "syncing the partial-upload directory");
		}
		close(dfd);
	}
	return ERR_OK;
}

enum err
partial_lock(int fd, const char **errstr)
{
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			*errstr = "the upload is being written by another request";
			return ERR_CONFLICT;
		}
		return store_errno(errstr, "locking the partial file");
	}
	return ERR_OK;
}

enum err
partial_append(int fd, off_t offset, int src, off_t src_offset, off_t len, const char **errstr)
{
	if (ftruncate(fd, offset) == -1)
		return store_errno(errstr, "cutting the partial file");
	if (lseek(fd, offset, SEEK_SET) == (off_t)-1)
		return store_errno(errstr, "seeking in the partial file");
	if (len > 0 && store_copy_range(src, src_offset, len, fd) == -1)
		return store_errno(errstr, "appending to the partial file");
	/* The offset is acknowledged only after this. */
	if (fsync(fd) == -1)
		return store_errno(errstr, "syncing the partial file");
	return ERR_OK;
}

enum err
partial_remove(const char *dir, const char *customer_id, const char *upload_id,
    const char **errstr)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, customer_id, upload_id);
	if (unlink(path) == -1 && errno != ENOENT)
		return store_errno(errstr, "removing the partial file");
	return ERR_OK;
}
