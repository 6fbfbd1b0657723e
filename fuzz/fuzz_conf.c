/* fuzz_conf.c - libFuzzer target: the INI configuration parser and key table. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The bytes are a configuration file (through a memfd, as conf_load reads
 * paths).  Accepted or refused, loading never crashes, a refusal always
 * says why, and an accepted configuration reloads to the same dump.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], errbuf[512], *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct conf c;
	FILE *fp;
	int fd;

	if (size > 16384)
		return 0;
	if ((fd = memfd_create("conf", 0)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errbuf[0] = '\0';
	if (conf_load(&c, path, errbuf, sizeof(errbuf)) != ERR_OK) {
		if (errbuf[0] == '\0')
			abort();
		close(fd);
		return 0;
	}
	fp = open_memstream(&a, &alen);
	conf_dump(&c, fp);
	fclose(fp);
	conf_free(&c);
	if (conf_load(&c, path, errbuf, sizeof(errbuf)) != ERR_OK)
		abort();
	fp = open_memstream(&b, &blen);
	conf_dump(&c, fp);
	fclose(fp);
	conf_free(&c);
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
	free(a);
	free(b);
	close(fd);
	return 0;
}
