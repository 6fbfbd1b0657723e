/* fuzz_metadata.c - libFuzzer target: the upload's JSON metadata field. */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No name or string in the tree holds a NUL (PostgreSQL's jsonb refuses
 * \u0000; json-c would cut a name at it). */
static int
has_nul(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (has_nul(v))
				return 1;
		}
		return 0;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (has_nul(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_string:
		return strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o);
	default:
		return 0;
	}
}

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
	if (norm == NULL || norm[0] != '{')
		abort();
	if (metadata_normalize(norm, strlen(norm), &again, &code, &errstr) != ERR_OK ||
	    strcmp(norm, again) != 0)
		abort();
	/* Read back as the listing does: the same text again. */
	if ((o = json_tokener_parse(norm)) == NULL || has_nul(o) ||
	    strcmp(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), norm) != 0)
		abort();
	json_object_put(o);
	free(norm);
	free(again);
	return 0;
}
