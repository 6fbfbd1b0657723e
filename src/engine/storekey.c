/* storekey.c - the only way a client string becomes part of a storage key. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine/storekey.h"

static const char *const sk_documents[] = { "leases", "contracts", "invoices", "receipts", NULL };
static const char *const sk_properties[] = { "photos", "floor-plans", "inspection-reports", NULL };
static const char *const sk_tenants[] = { "id-documents", "payment-receipts", "applications", NULL };
static const char *const sk_projects[] = { "blueprints", "progress-photos", "vendor-invoices", "permits", NULL };

/*
 * The seed's tree, as sql/006_categories.sql seeds it.  Subcategories are optional where the seed's client
 * makes them optional (it uploads to "documents" with none); a deployment
 * that wants them required changes the flag, not the code.
 */
static const struct storekey_category sk_default_categories[] = {
	{ "documents", STOREKEY_FORBIDDEN, STOREKEY_OPTIONAL, sk_documents },
	{ "properties", STOREKEY_REQUIRED, STOREKEY_OPTIONAL, sk_properties },
	{ "tenants", STOREKEY_REQUIRED, STOREKEY_OPTIONAL, sk_tenants },
	{ "projects", STOREKEY_REQUIRED, STOREKEY_OPTIONAL, sk_projects },
	{ "avatars", STOREKEY_FORBIDDEN, STOREKEY_FORBIDDEN, NULL },
};

static const struct storekey_taxonomy sk_default = {
	sk_default_categories,
	sizeof(sk_default_categories) / sizeof(sk_default_categories[0]),
};

static const char *const sk_presence[] = { "forbidden", "optional", "required" };
static const char *const sk_entity_presence[] = { "none", "optional", "required" };

const struct storekey_taxonomy *
storekey_default_taxonomy(void)
{
	return &sk_default;
}

static enum err
sk_fail(enum err rc, const char *c, const char *msg, const char **code, const char **errstr)
{
	if (code != NULL)
		*code = c;
	if (errstr != NULL)
		*errstr = msg;
	return rc;
}

static enum err
sk_unavailable(const char **code, const char **errstr)
{
	return sk_fail(ERR_DB, "DATABASE_UNAVAILABLE",
	    "The categories cannot be read: the database is unavailable; try again", code, errstr);
}

bool
storekey_name_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	return n <= STOREKEY_NAME_MAX;
}

bool
storekey_entity_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (n == STOREKEY_ENTITY_MAX)
			return false;
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return false;
	}
	return true;
}

bool
storekey_uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < STOREKEY_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;	/* also stops at the NUL of a short string */
	}
	return s[STOREKEY_UUID_LEN] == '\0';
}

bool
storekey_customer(const char *key, char out[STOREKEY_UUID_LEN + 1])
{
	out[0] = '\0';
	if (strncmp(key, "customers/", 10) != 0 || strlen(key) <= 10 + STOREKEY_UUID_LEN ||
	    key[10 + STOREKEY_UUID_LEN] != '/')
		return false;
	memcpy(out, key + 10, STOREKEY_UUID_LEN);
	out[STOREKEY_UUID_LEN] = '\0';
	if (!storekey_uuid_ok(out))
		out[0] = '\0';
	return out[0] != '\0';
}

void
storekey_prefix(const char *customer_id, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "customers/%s%s", customer_id != NULL ? customer_id : "",
	    customer_id != NULL ? "/" : "");
}

static bool
sk_ext_ok(const char *s)
{
	size_t n;

	if (*s == '\0')
		return true;
	if (*s++ != '.')
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n >= 1 && n < STOREKEY_EXT_MAX;
}

static const struct storekey_category *
sk_category(const struct storekey_taxonomy *tax, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < tax->ncategories; i++)
		if (strlen(tax->categories[i].name) == len &&
		    memcmp(tax->categories[i].name, name, len) == 0)
			return &tax->categories[i];
	return NULL;
}

static const char *
sk_subcategory(const struct storekey_category *c, const char *name, size_t len)
{
	const char *const *s;

	if (c->subcategories == NULL)
		return NULL;
	for (s = c->subcategories; *s != NULL; s++)
		if (strlen(*s) == len && memcmp(*s, name, len) == 0)
			return *s;
	return NULL;
}

enum err
storekey_taxonomy_check(const struct storekey_taxonomy *tax, const char **errstr)
{
	const struct storekey_category *c;
	const char *const *s;
	size_t i, j, nsub;

	if (tax == NULL || tax->ncategories == 0)
		return sk_fail(ERR_CONFIG, NULL, "taxonomy has no categories", NULL, errstr);
	for (i = 0; i < tax->ncategories; i++) {
		c = &tax->categories[i];
		if (!storekey_name_ok(c->name))
			return sk_fail(ERR_CONFIG, NULL, "taxonomy: a category name is not 1..32 of [a-z0-9-]", NULL, errstr);
		for (j = 0; j < i; j++)
			if (strcmp(tax->categories[j].name, c->name) == 0)
				return sk_fail(ERR_CONFIG, NULL, "taxonomy: a category appears twice", NULL, errstr);
		if ((unsigned)c->sub > STOREKEY_REQUIRED || (unsigned)c->entity > STOREKEY_REQUIRED)
			return sk_fail(ERR_CONFIG, NULL, "taxonomy: bad presence flag", NULL, errstr);
		if (c->entity == STOREKEY_OPTIONAL && c->sub != STOREKEY_FORBIDDEN)
			return sk_fail(ERR_CONFIG, NULL, "taxonomy: an optional entity id needs a "
			    "category without subcategories", NULL, errstr);
		nsub = 0;
		for (s = c->subcategories; s != NULL && *s != NULL; s++, nsub++) {
			if (!storekey_name_ok(*s))
				return sk_fail(ERR_CONFIG, NULL, "taxonomy: a subcategory name is not 1..32 of [a-z0-9-]", NULL, errstr);
			for (j = 0; j < nsub; j++)
				if (strcmp(c->subcategories[j], *s) == 0)
					return sk_fail(ERR_CONFIG, NULL, "taxonomy: a subcategory appears twice", NULL, errstr);
		}
		if ((c->sub == STOREKEY_FORBIDDEN) != (nsub == 0))
			return sk_fail(ERR_CONFIG, NULL, "taxonomy: subcategory list disagrees with its flag", NULL, errstr);
	}
	return ERR_OK;
}

enum err
storekey_check(const struct storekey_taxonomy *tax, const char *customer_id,
    const char *category, const char *entity_id, const char *subcategory,
    struct storekey *out, const char **code, const char **errstr)
{
	const struct storekey_category *c;
	const char *sub = NULL;

	memset(out, 0, sizeof(*out));
	if (tax == NULL)
		return sk_unavailable(code, errstr);
	if (!storekey_uuid_ok(customer_id))
		return sk_fail(ERR_BADREQ, "INVALID_CUSTOMER_ID",
		    "customerId must be a lowercase UUID", code, errstr);
	if (category == NULL || (c = sk_category(tax, category, strlen(category))) == NULL)
		return sk_fail(ERR_BADREQ, "INVALID_CATEGORY",
		    "category is not one of the taxonomy's categories", code, errstr);
	if (entity_id != NULL && *entity_id == '\0')
		entity_id = NULL;
	if (subcategory != NULL && *subcategory == '\0')
		subcategory = NULL;

	if (c->entity == STOREKEY_REQUIRED && entity_id == NULL)
		return sk_fail(ERR_BADREQ, "ENTITY_ID_REQUIRED",
		    "this category needs an entityId", code, errstr);
	if (c->entity == STOREKEY_FORBIDDEN && entity_id != NULL)
		return sk_fail(ERR_BADREQ, "ENTITY_ID_NOT_ALLOWED",
		    "this category takes no entityId", code, errstr);
	if (entity_id != NULL && !storekey_entity_ok(entity_id))
		return sk_fail(ERR_BADREQ, "INVALID_ENTITY_ID",
		    "entityId must be 1 to 64 of A-Z a-z 0-9 _ - and not start with -", code, errstr);

	if (subcategory == NULL && c->sub == STOREKEY_REQUIRED)
		return sk_fail(ERR_BADREQ, "SUBCATEGORY_REQUIRED",
		    "this category needs a subcategory", code, errstr);
	if (subcategory != NULL && c->sub == STOREKEY_FORBIDDEN)
		return sk_fail(ERR_BADREQ, "SUBCATEGORY_NOT_ALLOWED",
		    "this category takes no subcategory", code, errstr);
	if (subcategory != NULL &&
	    (sub = sk_subcategory(c, subcategory, strlen(subcategory))) == NULL)
		return sk_fail(ERR_BADREQ, "INVALID_SUBCATEGORY",
		    "subcategory is not one of this category's subcategories", code, errstr);

	memcpy(out->customer_id, customer_id, STOREKEY_UUID_LEN + 1);
	out->category = c->name;
	if (entity_id != NULL)
		strcpy(out->entity_id, entity_id);	/* length checked above */
	out->subcategory = sub;
	return ERR_OK;
}

enum err
storekey_format(struct storekey *k, const char *object_id, const char *ext,
    char *buf, size_t buflen, const char **errstr)
{
	int n;

	if (!storekey_uuid_ok(object_id) || ext == NULL || !sk_ext_ok(ext) || k->category == NULL)
		return sk_fail(ERR_INTERNAL, NULL, "bad object id or extension", NULL, errstr);
	/* memmove: re-formatting a parsed key passes k's own fields. */
	memmove(k->object_id, object_id, STOREKEY_UUID_LEN + 1);
	memmove(k->ext, ext, strlen(ext) + 1);
	n = snprintf(buf, buflen, "customers/%s/%s%s%s%s%s/%s%s", k->customer_id, k->category,
	    k->entity_id[0] != '\0' ? "/" : "", k->entity_id,
	    k->subcategory != NULL ? "/" : "", k->subcategory != NULL ? k->subcategory : "",
	    k->object_id, k->ext);
	if (n < 0 || (size_t)n >= buflen)
		return sk_fail(ERR_INTERNAL, NULL, "storage key buffer too small", NULL, errstr);
	return ERR_OK;
}

/* Segment seg[0..len) into a NUL-terminated copy, or false if too long. */
static bool
sk_copyseg(char *dst, size_t dstlen, const char *seg, size_t len)
{
	if (len >= dstlen)
		return false;
	memcpy(dst, seg, len);
	dst[len] = '\0';
	return true;
}

enum err
storekey_parse(const struct storekey_taxonomy *tax, const char *key, size_t keylen,
    const char *customer_id, struct storekey *out, const char **code, const char **errstr)
{
	const char *seg[6], *p, *slash, *dot;
	size_t len[6], nseg = 0, i = 0;
	const struct storekey_category *c;
	char tmp[STOREKEY_ENTITY_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (tax == NULL)
		return sk_unavailable(code, errstr);
	if (!storekey_uuid_ok(customer_id))
		return sk_fail(ERR_BADREQ, "INVALID_CUSTOMER_ID",
		    "customerId must be a lowercase UUID", code, errstr);
	if (key == NULL || keylen != strlen(key) || keylen >= STOREKEY_MAX ||
	    strncmp(key, "customers/", 10) != 0)
		goto bad;
	/* Split what follows "customers/"; an empty segment ("//", a
	 * trailing "/") or a seventh one is malformed. */
	for (p = key + 10;; p = slash + 1) {
		if (nseg == 6)
			goto bad;
		slash = strchr(p, '/');
		seg[nseg] = p;
		len[nseg] = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len[nseg] == 0)
			goto bad;
		nseg++;
		if (slash == NULL)
			break;
	}
	if (nseg < 3)
		goto bad;
	if (!sk_copyseg(out->customer_id, sizeof(out->customer_id), seg[0], len[0]) ||
	    !storekey_uuid_ok(out->customer_id))
		goto bad;
	if ((c = sk_category(tax, seg[1], len[1])) == NULL)
		goto bad;
	out->category = c->name;
	i = 2;
	/* An optional entity id only where subcategories are forbidden: then
	 * four segments (customer, category, entity, object) mean it is there. */
	if (c->entity == STOREKEY_REQUIRED ||
	    (c->entity == STOREKEY_OPTIONAL && nseg == 4)) {
		if (i >= nseg - 1 ||
		    !sk_copyseg(tmp, sizeof(tmp), seg[i], len[i]) || !storekey_entity_ok(tmp))
			goto bad;
		strcpy(out->entity_id, tmp);
		i++;
	}
	if (i < nseg - 1) {
		if (c->sub == STOREKEY_FORBIDDEN ||
		    (out->subcategory = sk_subcategory(c, seg[i], len[i])) == NULL)
			goto bad;
		i++;
	} else if (c->sub == STOREKEY_REQUIRED)
		goto bad;
	if (i != nseg - 1)
		goto bad;

	/* The object name: uuid then an optional extension. */
	if (len[i] < STOREKEY_UUID_LEN ||
	    !sk_copyseg(out->object_id, sizeof(out->object_id), seg[i], STOREKEY_UUID_LEN) ||
	    !storekey_uuid_ok(out->object_id))
		goto bad;
	dot = seg[i] + STOREKEY_UUID_LEN;
	if (!sk_copyseg(out->ext, sizeof(out->ext), dot, len[i] - STOREKEY_UUID_LEN) ||
	    !sk_ext_ok(out->ext))
		goto bad;

	/* Well-formed: now whose is it?  Only after the shape is known, so
	 * a malformed key never reads as "someone else's". */
	if (strcmp(out->customer_id, customer_id) != 0) {
		memset(out, 0, sizeof(*out));
		return sk_fail(ERR_FORBIDDEN, "FILE_PATH_FORBIDDEN",
		    "filePath is not in this customer's storage", code, errstr);
	}
	return ERR_OK;
bad:
	memset(out, 0, sizeof(*out));
	return sk_fail(ERR_BADREQ, "INVALID_FILE_PATH",
	    "filePath is not a storage key this service issued", code, errstr);
}

struct json_object *
storekey_taxonomy_json(const struct storekey_taxonomy *tax)
{
	struct json_object *arr = json_object_new_array(), *o, *subs;
	const struct storekey_category *c;
	const char *const *s;
	size_t i;

	for (i = 0; i < tax->ncategories; i++) {
		c = &tax->categories[i];
		o = json_object_new_object();
		json_object_object_add(o, "category", json_object_new_string(c->name));
		json_object_object_add(o, "entityId", json_object_new_string(
		    (unsigned)c->entity <= STOREKEY_REQUIRED ? sk_entity_presence[c->entity] : "none"));
		json_object_object_add(o, "entity", json_object_new_boolean(
		    c->entity != STOREKEY_FORBIDDEN));
		json_object_object_add(o, "subcategory", json_object_new_string(
		    (unsigned)c->sub <= STOREKEY_REQUIRED ? sk_presence[c->sub] : "forbidden"));
		subs = json_object_new_array();
		for (s = c->subcategories; s != NULL && *s != NULL; s++)
			json_object_array_add(subs, json_object_new_string(*s));
		json_object_object_add(o, "subcategories", subs);
		json_object_array_add(arr, o);
	}
	return arr;
}
