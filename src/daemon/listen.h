/* listen.h - the FastCGI listening socket: UNIX, loopback TCP or systemd's. */
#ifndef COFFER_LISTEN_H
#define COFFER_LISTEN_H

#include <stddef.h>

#include "base/conf.h"

struct listener {
	int	 fd;
	int	 from_systemd;	/* do not unlink what systemd owns */
	char	*unix_path;	/* owned; NULL for TCP and systemd */
};

/*
 * Open the socket named by conf->listen, or adopt the first socket passed
 * by systemd (LISTEN_FDS).  The socket is non-blocking so that idle workers
 * wait in poll() and an accept race ends in EAGAIN, never in a blocked
 * accept().  A UNIX path already served by a live process is refused; a
 * stale one is replaced.  Returns 0, or -1 with a one-line cause in errbuf.
 */
int listen_open(struct listener *l, const struct conf *conf, char *errbuf, size_t errlen);

/* A small UNIX socket for the master's status answers (0600 by default). */
int listen_unix(const char *path, int mode, int backlog, char *errbuf, size_t errlen);

/* Close and, for a socket we created, unlink it. */
void listen_close(struct listener *l);

#endif
