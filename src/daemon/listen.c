/* listen.c - binding the FastCGI socket (path, mode, owner, group, backlog). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon/listen.h"
#include "base/log.h"
#include "base/xmalloc.h"

static int
listen_set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Is something accepting on path?  A refused connect means a stale file. */
static int
listen_unix_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc == 0;
}

int
listen_unix(const char *path, int mode, int backlog, char *errbuf, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(errbuf, errlen, "socket path too long (max %zu): %s",
		    sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(errbuf, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		if (listen_unix_in_use(&sun)) {
			snprintf(errbuf, errlen,
			    "socket %s is in use by another process", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Bind under a umask so the socket is never briefly wider than mode. */
	old = umask(0777 & ~(mode_t)mode);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(errbuf, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, (mode_t)mode) == -1 || listen(fd, backlog) == -1 ||
	    listen_set_flags(fd) == -1) {
		snprintf(errbuf, errlen, "listen %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int
listen_chown(const char *path, const struct conf *conf, char *errbuf, size_t errlen)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	struct passwd *pw;
	struct group *gr;

	if (conf->listen_owner[0] != '\0') {
		if ((pw = getpwnam(conf->listen_owner)) == NULL) {
			snprintf(errbuf, errlen, "[server] listen_owner = \"%s\": no such user",
			    conf->listen_owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (conf->listen_group[0] != '\0') {
		if ((gr = getgrnam(conf->listen_group)) == NULL) {
			snprintf(errbuf, errlen, "[server] listen_group = \"%s\": no such group",
			    conf->listen_group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) == -1) {
		snprintf(errbuf, errlen, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_tcp(const char *spec, int backlog, char *errbuf, size_t errlen)
{
	struct sockaddr_in sin;
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	int fd, one = 1;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(errbuf, errlen, "[server] listen = \"%s\" must be unix:/path or 127.0.0.1:PORT", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (*end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(errbuf, errlen, "[server] listen = \"%s\" must be unix:/path or 127.0.0.1:PORT", spec);
		return -1;
	}
	sin.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, backlog) == -1 || listen_set_flags(fd) == -1) {
		snprintf(errbuf, errlen, "listen %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
listen_open(struct listener *l, const struct conf *conf, char *errbuf, size_t errlen)
{
	const char *path;
	int n;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	n = sd_listen_fds(1);
	if (n > 0) {
		if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			snprintf(errbuf, errlen, "systemd passed fd %d, which is not a listening stream socket",
			    SD_LISTEN_FDS_START);
			return -1;
		}
		l->fd = SD_LISTEN_FDS_START;
		l->from_systemd = 1;
		if (listen_set_flags(l->fd) == -1) {
			snprintf(errbuf, errlen, "systemd socket: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	path = conf->listen;
	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	if (path[0] != '/') {
		l->fd = listen_tcp(path, (int)conf->listen_backlog, errbuf, errlen);
		return l->fd == -1 ? -1 : 0;
	}
	l->fd = listen_unix(path, conf->listen_mode, (int)conf->listen_backlog,
	    errbuf, errlen);
	if (l->fd == -1)
		return -1;
	l->unix_path = xstrdup(path);
	if (listen_chown(path, conf, errbuf, errlen) == -1) {
		listen_close(l);
		return -1;
	}
	return 0;
}

void
listen_close(struct listener *l)
{
	if (l->fd != -1)
		close(l->fd);
	if (l->unix_path != NULL) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	l->fd = -1;
	l->unix_path = NULL;
}
