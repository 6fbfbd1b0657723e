/* fuzz_metadata.c - libFuzzer target: the upload's JSON metadata field. */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever is accepted is a JSON object whose normal form is a fixed point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *code, *errstr;
	char *norm = NULL, *again = NULL;

	if (metadata_normalize((const char *)data, size, &norm, &code, &errstr) != ERR_OK) {
		if (norm != NULL || code == NULL || errstr == NULL)
			abort();
		return 0;
	}
	if (norm == NULL || norm[0] != '{')
		abort();
	if (metadata_normalize(norm, strlen(norm), &again, &code, &errstr) != ERR_OK ||
	    strcmp(norm, again) != 0)
		abort();
	free(norm);
	free(again);
	return 0;
}
