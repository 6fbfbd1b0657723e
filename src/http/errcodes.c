/* errcodes.c - the catalogue of errcodes.h as a table to look codes up in. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "http/errcodes.h"

static const struct errcode errcodes[] = {
#define ERRCODES_ENTRY(c, s, m)	{ #c, s, m },
	ERRCODES(ERRCODES_ENTRY)
#undef ERRCODES_ENTRY
};

const struct errcode *
errcodes_find(const char *code)
{
	size_t i;

	if (code == NULL)
		return NULL;
	for (i = 0; i < sizeof(errcodes) / sizeof(errcodes[0]); i++)
		if (strcmp(errcodes[i].code, code) == 0)
			return &errcodes[i];
	return NULL;
}
