/* ctl_status.c - `cofferctl status`: the scoreboard, read from the master. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"

/* The master answers on its own socket, so this works when every worker
 * is busy (php-fpm needed a second listener for that). */
int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	const char *path = ctl->conf.status_socket;
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n;
	int fd;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: cofferctl status\n");
		return 2;
	}
	if (path[0] == '\0') {
		fprintf(stderr, "cofferctl: [server] status_socket is not set\n");
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "cofferctl: status socket path too long\n");
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "cofferctl: cannot reach cofferd at %s: %s\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}
