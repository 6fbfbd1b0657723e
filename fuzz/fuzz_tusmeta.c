/* fuzz_tusmeta.c - libFuzzer target: tus's Upload-Metadata header. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "engine/tusmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Accepted or refused with a reason; known values never hold a NUL. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new();
	const char *errstr = NULL;
	struct tusmeta m;
	char *hdr = pool_strndup(pool, (const char *)data, size);

	if (tusmeta_parse(hdr, pool, &m, &errstr) != ERR_OK) {
		if (errstr == NULL)
			abort();
	} else if (m.metadata != NULL && strlen(m.metadata) != m.metadata_len)
		abort();
	pool_free(pool);
	return 0;
}
