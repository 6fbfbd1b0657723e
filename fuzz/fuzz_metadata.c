/* fuzz_metadata.c - libFuzzer target: the upload's JSON metadata field. */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Whatever is accepted is a JSON object whose
 * normal form is a fixed point, and holds nothing PostgreSQL's jsonb
 * refuses (NUL, as a byte or as \u0000) or json-c would change on the way
 * back out (an integer past 64 bits).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *code, *errstr;
	char *norm = NULL, *again = NULL;
	struct json_object *o;

	if (metadata_normalize((const char *)data, size, &norm, &code, &errstr) != ERR_OK) {
		if (norm != NULL || code == NULL || errstr == NULL)
			abort();
		return 0;
	}
	if (norm == NULL || norm[0] != '{' || strstr(norm, "\\u0000") != NULL)
		abort();
	if (metadata_normalize(norm, strlen(norm), &again, &code, &errstr) != ERR_OK ||
	    strcmp(norm, again) != 0)
		abort();
	/* Read back as the listing does: the same text again. */
	if ((o = json_tokener_parse(norm)) == NULL ||
	    strcmp(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), norm) != 0)
		abort();
	json_object_put(o);
	free(norm);
	free(again);
	return 0;
}
