/* storekey.h - client path pieces checked against the taxonomy; storage keys built and parsed. */
#ifndef COFFER_STOREKEY_H
#define COFFER_STOREKEY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "base/err.h"

#define STOREKEY_UUID_LEN	36	/* canonical lowercase 8-4-4-4-12 */
#define STOREKEY_ENTITY_MAX	64
#define STOREKEY_EXT_MAX	10	/* ".xlsx" and friends, dot included */
#define STOREKEY_NAME_MAX	32	/* a category or subcategory name */
/* customers/ + uuid / cat / entity / sub / uuid ext, and the NUL. */
#define STOREKEY_MAX	(10 + STOREKEY_UUID_LEN + 1 + STOREKEY_NAME_MAX + 1 + \
			 STOREKEY_ENTITY_MAX + 1 + STOREKEY_NAME_MAX + 1 + \
			 STOREKEY_UUID_LEN + STOREKEY_EXT_MAX + 1)

enum storekey_presence { STOREKEY_FORBIDDEN = 0, STOREKEY_OPTIONAL, STOREKEY_REQUIRED };

/*
 * One category of the taxonomy.  An entity id may be optional only where
 * subcategories are forbidden: with both optional a key like "c/x/f" could
 * be read two ways.
 */
struct storekey_category {
	const char		 *name;
	enum storekey_presence	  entity;		/* entity id presence */
	enum storekey_presence	  sub;			/* subcategory presence */
	const char *const	 *subcategories;	/* NULL-terminated; NULL if none */
};

struct storekey_taxonomy {
	const struct storekey_category	*categories;
	size_t				 ncategories;
};

/* A checked key, in pieces.  Strings are copies or the taxonomy's own
 * (taxonomy.c never frees a taxonomy it handed out while the worker runs). */
struct storekey {
	char		 customer_id[STOREKEY_UUID_LEN + 1];
	const char	*category;		/* taxonomy string */
	char		 entity_id[STOREKEY_ENTITY_MAX + 1];	/* "" when none */
	const char	*subcategory;		/* taxonomy string, or NULL */
	char		 object_id[STOREKEY_UUID_LEN + 1];	/* "" until formatted/parsed */
	char		 ext[STOREKEY_EXT_MAX + 1];		/* "" when none */
};

/* The seed's taxonomy (static; never freed): what sql/006_categories.sql
 * seeds, for tests and the fuzzer. */
const struct storekey_taxonomy *storekey_default_taxonomy(void);

/*
 * Check a taxonomy (one loaded from the database): names 1..32 of
 * [a-z0-9-] not starting with '-', no duplicates, subcategory lists that
 * agree with the presence flag, an optional entity id only without
 * subcategories.  ERR_CONFIG with *errstr naming the rule.
 */
enum err storekey_taxonomy_check(const struct storekey_taxonomy *tax, const char **errstr);

/*
 * Validate what a client sent for an upload and fill *out (object_id and
 * ext left empty).  entity_id and subcategory may be NULL or "" for none.
 * Returns ERR_OK, or ERR_BADREQ with *code one of INVALID_CUSTOMER_ID,
 * INVALID_CATEGORY, INVALID_ENTITY_ID, ENTITY_ID_REQUIRED,
 * ENTITY_ID_NOT_ALLOWED, INVALID_SUBCATEGORY, SUBCATEGORY_REQUIRED,
 * SUBCATEGORY_NOT_ALLOWED, and *errstr a static sentence that never
 * repeats the input.  code and errstr may be NULL.  The pieces are C
 * strings: a caller holding counted bytes must reject embedded NULs first
 * (struct multipart_field's has_nul), or "documents\0..." reads as
 * "documents".  A NULL tax (the taxonomy could not be read) is ERR_DB
 * with *code DATABASE_UNAVAILABLE.
 */
enum err storekey_check(const struct storekey_taxonomy *tax, const char *customer_id,
    const char *category, const char *entity_id, const char *subcategory,
    struct storekey *out, const char **code, const char **errstr);

/*
 * Set k's object id (a canonical lowercase UUID) and extension ("" or
 * "." and 1..9 of [a-z0-9]), then write
 * customers/{customer}/{category}[/{entity}][/{sub}]/{uuid}{ext} to buf.
 * Our own values, so a bad one is ERR_INTERNAL; ERR_INTERNAL too when
 * buflen is short (STOREKEY_MAX always suffices).  object_id and ext may
 * be k's own fields (re-formatting a parsed key).
 */
enum err storekey_format(struct storekey *k, const char *object_id, const char *ext,
    char *buf, size_t buflen, const char **errstr);

/*
 * The inverse, for keys a client hands back (DELETE {"filePath": ...}):
 * the keylen bytes of key must be exactly what storekey_format() makes for
 * customer_id and a valid taxonomy path.  keylen is the length as
 * received (json_object_get_string_len()), so a NUL smuggled inside the
 * key cannot cut it down to a valid prefix.  ERR_BADREQ (*code INVALID_FILE_PATH, or
 * INVALID_CUSTOMER_ID for a bad customer_id) when malformed; ERR_FORBIDDEN
 * (*code FILE_PATH_FORBIDDEN) when well-formed but in another customer's
 * namespace; ERR_DB for a NULL tax, as storekey_check().  On ERR_OK *out
 * holds the pieces (category and subcategory point into tax).
 */
enum err storekey_parse(const struct storekey_taxonomy *tax, const char *key, size_t keylen,
    const char *customer_id, struct storekey *out, const char **code, const char **errstr);

/* True if s is a category or subcategory name: 1..32 of [a-z0-9-] not
 * starting with '-' (sql/006_categories.sql's CHECK says the same). */
bool storekey_name_ok(const char *s);

/* True if s is 1..64 of [A-Za-z0-9_-] not starting with '-'. */
bool storekey_entity_ok(const char *s);

/* True if s is a canonical lowercase UUID. */
bool storekey_uuid_ok(const char *s);

/* The customer of a key under customers/{uuid}/ into out (true), else ""
 * (false): a listed object's owner, before any row is read. */
bool storekey_customer(const char *key, char out[STOREKEY_UUID_LEN + 1]);

/* The prefix of every key of customer_id ("customers/{uuid}/"), or of
 * every customer's with NULL ("customers/"), into buf: what a listing of
 * the backend asks for. */
void storekey_prefix(const char *customer_id, char *buf, size_t buflen);

/*
 * The taxonomy for GET /api/storage/categories (and /taxonomy):
 * [{"category": "documents", "entityId": "none", "entity": false,
 *   "subcategory": "optional", "subcategories": ["leases", ...]}, ...]
 * where entityId is none, optional or required and entity is true unless
 * it is none.  Caller owns the result.
 */
struct json_object *storekey_taxonomy_json(const struct storekey_taxonomy *tax);

#endif
