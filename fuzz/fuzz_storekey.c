/* fuzz_storekey.c - libFuzzer target: path pieces and keys, with round trips checked. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/storekey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CUST	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define OBJ	"6ba7b810-9dad-11d1-80b4-00c04fd430c8"

/* No byte of a checked piece may be one that changes a path's meaning. */
static void
assert_inert(const char *s)
{
	if (s != NULL && (strstr(s, "..") != NULL || strchr(s, '/') != NULL ||
	    strchr(s, '\\') != NULL || strchr(s, '%') != NULL))
		abort();
}

/* An operator's tree (cofferctl category add) next to the seed's: optional
 * entity ids, and a category named like another's subcategory. */
static const char *const fz_docs[] = { "leases", "contracts", NULL };
static const struct storekey_category fz_operator_cats[] = {
	{ "documents", STOREKEY_FORBIDDEN, STOREKEY_REQUIRED, fz_docs },
	{ "scans", STOREKEY_OPTIONAL, STOREKEY_FORBIDDEN, NULL },
	{ "leases", STOREKEY_OPTIONAL, STOREKEY_FORBIDDEN, NULL },
	{ "units", STOREKEY_REQUIRED, STOREKEY_OPTIONAL, fz_docs },
};
static const struct storekey_taxonomy fz_operator = { fz_operator_cats, 4 };

static void fuzz_one(const struct storekey_taxonomy *tax, const uint8_t *data, size_t size);

/*
 * Input: the whole of it is tried as a key for storekey_parse(); then it is
 * split at '\n' into customer, category, entity and subcategory for
 * storekey_check().  Whatever passes must format and parse back to itself.
 * Both with the seed's tree and with an operator's.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	fuzz_one(storekey_default_taxonomy(), data, size);
	fuzz_one(&fz_operator, data, size);
	return 0;
}

static void
fuzz_one(const struct storekey_taxonomy *tax, const uint8_t *data, size_t size)
{
	char *buf, *piece[4] = { NULL, NULL, NULL, NULL }, *p, *nl;
	char key[STOREKEY_MAX], key2[STOREKEY_MAX];
	struct storekey k, back;
	const char *code, *errstr;
	enum err rc;
	int i;

	if (storekey_taxonomy_check(tax, NULL) != ERR_OK)
		abort();
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';

	/* As a key handed back by a client. */
	rc = storekey_parse(tax, buf, size, CUST, &k, &code, &errstr);
	if (rc == ERR_OK) {
		if (strlen(buf) != size)
			abort();	/* an embedded NUL cut the key short */
		if (storekey_format(&k, k.object_id, k.ext, key, sizeof(key), NULL) != ERR_OK ||
		    strcmp(key, buf) != 0)
			abort();
		assert_inert(k.entity_id);
	} else if (rc != ERR_BADREQ && rc != ERR_FORBIDDEN)
		abort();

	/* As upload fields. */
	for (i = 0, p = buf; i < 4 && p != NULL; i++) {
		piece[i] = p;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		p = nl;
	}
	rc = storekey_check(tax, piece[0] != NULL && *piece[0] == '\0' ? CUST : piece[0],
	    piece[1], piece[2], piece[3], &k, &code, &errstr);
	if (rc == ERR_OK) {
		assert_inert(k.entity_id);
		assert_inert(k.subcategory);
		if (storekey_format(&k, OBJ, ".pdf", key, sizeof(key), NULL) != ERR_OK ||
		    storekey_parse(tax, key, strlen(key), k.customer_id, &back, NULL, NULL) != ERR_OK ||
		    storekey_format(&back, back.object_id, back.ext, key2, sizeof(key2), NULL) != ERR_OK ||
		    strcmp(key, key2) != 0 || strcmp(back.entity_id, k.entity_id) != 0)
			abort();
	} else if (rc != ERR_BADREQ || code == NULL || errstr == NULL)
		abort();
	free(buf);
}
