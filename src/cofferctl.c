/* cofferctl.c - the operator's command line: pool status (more commands land here). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"

#define DEFAULT_CONF "/etc/coffer/coffer.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cofferctl [-c FILE] COMMAND\n"
	    "commands:\n"
	    "  status        the pool scoreboard from the master (works when every worker is busy)\n"
	    "  config-test   validate the configuration\n");
}

/* Read the master's status socket: it answers even when no worker is free. */
static int
cmd_status(const struct conf *conf)
{
	struct sockaddr_un sun;
	char buf[4096];
	ssize_t n;
	int fd;

	if (conf->status_socket[0] == '\0') {
		fprintf(stderr, "cofferctl: [server] status_socket is not set\n");
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(conf->status_socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "cofferctl: status socket path too long\n");
		return 1;
	}
	strcpy(sun.sun_path, conf->status_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "cofferctl: cannot reach cofferd at %s: %s\n",
		    conf->status_socket, strerror(errno));
		if (fd != -1)
			close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const char *path = getenv("COFFER_CONF");
	char errbuf[512];
	struct conf conf;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (path == NULL || path[0] == '\0')
		path = DEFAULT_CONF;
	if (conf_load(&conf, path, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "cofferctl: %s\n", errbuf);
		return 1;
	}
	if (strcmp(argv[0], "status") == 0) {
		rc = cmd_status(&conf);
	} else if (strcmp(argv[0], "config-test") == 0) {
		printf("configuration %s is valid\n", path);
		rc = 0;
	} else {
		fprintf(stderr, "cofferctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		rc = 2;
	}
	conf_free(&conf);
	return rc;
}
