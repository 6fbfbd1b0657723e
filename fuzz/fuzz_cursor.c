/* fuzz_cursor.c - libFuzzer target: the file listing's cursor parameter. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/storekey.h"
#include "http/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Whatever is accepted is exactly "MICROS.UUID" with MICROS a decimal
 * PostgreSQL's timestamp arithmetic holds (year 9999 at most) and UUID
 * one storekey_uuid_ok takes: the cursor the database is handed can
 * never make it fail.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char micros[FILES_MICROS_LEN], uuid[FILES_UUID_LEN], *s, back[128];
	unsigned long long v;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (files_cursor_parse(s, micros, uuid) == ERR_OK) {
		if (strlen(micros) == 0 || strlen(micros) > 18 ||
		    strspn(micros, "0123456789") != strlen(micros) || !storekey_uuid_ok(uuid))
			abort();
		v = strtoull(micros, NULL, 10);
		if (v > 253402300799999999ULL)
			abort();
		snprintf(back, sizeof(back), "%s.%s", micros, uuid);
		if (strcmp(back, s) != 0)
			abort();
	}
	free(s);
	return 0;
}
