/* main.c - cofferd: options, the -t configuration test, then the master. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "daemon/master.h"

#define DEFAULT_CONF "/etc/coffer/coffer.conf"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cofferd [-c FILE] [-f] [-t | -T] [-V | --version] [-h | --help]\n"
	    "  -c FILE  configuration file (default: $COFFER_CONF, else " DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground (systemd, containers, tests)\n"
	    "  -t       test the configuration and exit\n"
	    "  -T       test the configuration, print the effective values and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "  -h, --help     print this help and exit\n");
}

int
main(int argc, char **argv)
{
	const char *path = getenv("COFFER_CONF");
	int ch, foreground = 0, test = 0;
	char errbuf[512];
	struct conf conf;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:ftThV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			test = 2;
			break;
		case 'V':
			printf("cofferd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (path == NULL || path[0] == '\0')
		path = DEFAULT_CONF;
	setvbuf(stderr, NULL, _IONBF, 0);

	if (conf_load(&conf, path, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "cofferd: %s\n", errbuf);
		return 1;
	}
	if (test) {
		if (test == 2)
			conf_dump(&conf, stdout);
		fprintf(stderr, "cofferd: configuration file %s test is successful\n", path);
		conf_free(&conf);
		return 0;
	}
	return master_run(&conf, path, foreground);
}
