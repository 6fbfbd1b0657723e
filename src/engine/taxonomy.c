/* taxonomy.c - the operator's categories in PostgreSQL: a per-worker cache, and the changes cofferctl makes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/taxonomy.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "engine/db.h"

/* The whole tree as one JSON text, in the operator's order: one round trip,
 * and a text the cache compares to tell "unchanged" from "changed". */
static const struct db_stmt tx_st_load = {
	"taxonomy_load",
	"SELECT coalesce(json_agg(json_build_object('n', c.name, 'e', c.entity_id,"
	"  's', c.subcategory, 'l', (SELECT coalesce(json_agg(s.name ORDER BY s.position),"
	"  '[]') FROM subcategories s WHERE s.category = c.name)) ORDER BY c.position),"
	"  '[]')::text FROM categories c",
	0
};

static const struct db_stmt tx_st_add_category = {
	"taxonomy_add_category",
	"INSERT INTO categories (name, entity_id, subcategory) VALUES ($1, $2, $3)",
	3
};

/* The parent's entity id must not be optional (one reading per key);
 * no row inserted and no parent row: the parent does not exist. */
static const struct db_stmt tx_st_add_sub = {
	"taxonomy_add_subcategory",
	"WITH p AS (SELECT name, entity_id FROM categories WHERE name = $2 FOR UPDATE),"
	" i AS (INSERT INTO subcategories (category, name)"
	"  SELECT name, $1 FROM p WHERE entity_id <> 'optional' RETURNING 1)"
	" SELECT (SELECT entity_id FROM p), (SELECT count(*) FROM i)",
	2
};

/* Held files first; the deletes run only when there are none.  The
 * subcategories' foreign key is checked at the end of the statement, after
 * both deletes. */
static const struct db_stmt tx_st_remove_category = {
	"taxonomy_remove_category",
	"WITH c AS (SELECT name FROM categories WHERE name = $1 FOR UPDATE),"
	" h AS (SELECT count(*) AS n FROM files f JOIN c ON f.category = c.name"
	"  WHERE f.state <> 'deleted'),"
	" s AS (DELETE FROM subcategories WHERE category IN (SELECT name FROM c)"
	"  AND (SELECT n FROM h) = 0 RETURNING 1),"
	" d AS (DELETE FROM categories WHERE name IN (SELECT name FROM c)"
	"  AND (SELECT n FROM h) = 0 RETURNING 1)"
	" SELECT (SELECT count(*) FROM c), (SELECT n FROM h), (SELECT count(*) FROM d),"
	"  (SELECT count(*) FROM s)",
	1
};

static const struct db_stmt tx_st_remove_sub = {
	"taxonomy_remove_subcategory",
	"WITH c AS (SELECT category, name FROM subcategories WHERE category = $2 AND name = $1"
	"  FOR UPDATE),"
	" h AS (SELECT count(*) AS n FROM files f JOIN c ON f.category = c.category"
	"  AND f.subcategory = c.name WHERE f.state <> 'deleted'),"
	" d AS (DELETE FROM subcategories WHERE (category, name) IN (SELECT category, name FROM c)"
	"  AND (SELECT n FROM h) = 0 RETURNING 1)"
	" SELECT (SELECT count(*) FROM c), (SELECT n FROM h), (SELECT count(*) FROM d)",
	2
};

/*
 * A loaded taxonomy: the storekey view first (callers get &tx->tax), the
 * storage behind it, the text it was built from, and the older ones this
 * worker handed out (kept until taxonomy_cache_free()).
 */
struct tx {
	struct storekey_taxonomy	  tax;
	struct storekey_category	 *cats;
	char				**strings;	/* every name and list, to free */
	size_t				  nstrings;
	char				 *text;
	struct tx			 *older;
};

static struct tx *tx_current;
static int64_t tx_loaded_ms;
static int tx_have_loaded;

static void *
tx_keep(struct tx *t, void *p)
{
	t->strings = xrealloc(t->strings, (t->nstrings + 1) * sizeof(*t->strings));
	t->strings[t->nstrings++] = p;
	return p;
}

static void
tx_free(struct tx *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nstrings; i++)
		free(t->strings[i]);
	free(t->strings);
	free(t->cats);
	free(t->text);
	free(t);
}

static enum storekey_presence
tx_presence(const char *s, const char *none)
{
	if (strcmp(s, "required") == 0)
		return STOREKEY_REQUIRED;
	if (strcmp(s, "optional") == 0)
		return STOREKEY_OPTIONAL;
	/* Anything else: out of range, which storekey_taxonomy_check() refuses. */
	return strcmp(s, none) == 0 ? STOREKEY_FORBIDDEN : (enum storekey_presence)99;
}

/* The rows' JSON into a checked taxonomy; NULL with *errstr if invalid. */
static struct tx *
tx_build(const char *text, const char **errstr)
{
	struct json_object *root, *c, *v, *list;
	struct storekey_category *cat;
	const char **subs;
	struct tx *t;
	size_t i, j, n, nsub;

	if ((root = json_tokener_parse(text)) == NULL ||
	    !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		*errstr = "the category rows did not read as JSON";
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->text = xstrdup(text);
	n = json_object_array_length(root);
	t->cats = xcalloc(n + 1, sizeof(*t->cats));
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(root, i);
		cat = &t->cats[i];
		json_object_object_get_ex(c, "n", &v);
		cat->name = tx_keep(t, xstrdup(json_object_get_string(v)));
		json_object_object_get_ex(c, "e", &v);
		cat->entity = tx_presence(json_object_get_string(v), "none");
		json_object_object_get_ex(c, "l", &list);
		nsub = json_object_array_length(list);
		json_object_object_get_ex(c, "s", &v);
		/* Presence of a subcategory: the row's flag once there are any. */
		cat->sub = nsub == 0 ? STOREKEY_FORBIDDEN : tx_presence(json_object_get_string(v), "");
		if (nsub > 0) {
			subs = tx_keep(t, xcalloc(nsub + 1, sizeof(*subs)));
			for (j = 0; j < nsub; j++)
				subs[j] = tx_keep(t, xstrdup(json_object_get_string(
				    json_object_array_get_idx(list, j))));
			cat->subcategories = subs;
		}
	}
	json_object_put(root);
	t->tax.categories = t->cats;
	t->tax.ncategories = n;
	/* The database's CHECKs say the same; this is storekey.c's own word. */
	if (storekey_taxonomy_check(&t->tax, errstr) != ERR_OK) {
		tx_free(t);
		return NULL;
	}
	return t;
}

static enum err
tx_read(PGconn *pg, char **text, const char **errstr)
{
	PGresult *res = NULL;
	enum err rc;

	*text = NULL;
	if (pg == NULL) {
		*errstr = "no database connection";
		return ERR_DB;
	}
	if ((rc = db_run(pg, &tx_st_load, NULL, &res, errstr)) != ERR_OK)
		return rc;
	if (PQntuples(res) == 1)
		*text = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*text == NULL) {
		*errstr = "the category query returned no row";
		return ERR_INTERNAL;
	}
	return ERR_OK;
}

enum err
taxonomy_load(PGconn *pg, struct storekey_taxonomy **out, const char **errstr)
{
	struct tx *t;
	char *text;
	enum err rc;

	*out = NULL;
	if ((rc = tx_read(pg, &text, errstr)) != ERR_OK)
		return rc;
	t = tx_build(text, errstr);
	free(text);
	if (t == NULL)
		return ERR_CONFIG;
	*out = &t->tax;
	return ERR_OK;
}

void
taxonomy_free(struct storekey_taxonomy *tax)
{
	/* tax is the first member of its struct tx. */
	tx_free((struct tx *)tax);
}

const struct storekey_taxonomy *
taxonomy_cached(PGconn *pg, int64_t now_ms, int64_t ttl_ms)
{
	const char *errstr = NULL;
	struct tx *t;
	char *text;

	if (tx_have_loaded && now_ms - tx_loaded_ms < ttl_ms)
		return &tx_current->tax;
	if (tx_read(pg, &text, &errstr) != ERR_OK) {
		log_warnx("categories: %s; %s", errstr != NULL ? errstr : "read failed",
		    tx_current != NULL ? "keeping the previous ones" : "none known yet");
		return tx_current != NULL ? &tx_current->tax : NULL;
	}
	if (tx_current != NULL && strcmp(text, tx_current->text) == 0) {
		free(text);
		tx_loaded_ms = now_ms;
		tx_have_loaded = 1;
		return &tx_current->tax;
	}
	t = tx_build(text, &errstr);
	free(text);
	if (t == NULL) {
		log_errorx("categories in the database are not a valid taxonomy: %s; %s", errstr,
		    tx_current != NULL ? "keeping the previous ones" : "none known yet");
		return tx_current != NULL ? &tx_current->tax : NULL;
	}
	log_info("categories loaded: %zu", t->tax.ncategories);
	t->older = tx_current;
	tx_current = t;
	tx_loaded_ms = now_ms;
	tx_have_loaded = 1;
	return &tx_current->tax;
}

void
taxonomy_cache_free(void)
{
	struct tx *t;

	while ((t = tx_current) != NULL) {
		tx_current = t->older;
		tx_free(t);
	}
	tx_have_loaded = 0;
}

static int
tx_entity_word(const char *s)
{
	return s == NULL || strcmp(s, "none") == 0 || strcmp(s, "optional") == 0 ||
	    strcmp(s, "required") == 0;
}

enum err
taxonomy_add(PGconn *pg, const char *name, const char *parent, const char *entity,
    const char *sub, const char **errstr)
{
	const char *params[3];
	PGresult *res = NULL;
	enum err rc;

	if (!storekey_name_ok(name) || (parent != NULL && !storekey_name_ok(parent))) {
		*errstr = "a category name is 1 to 32 of a-z 0-9 and -, not starting with -";
		return ERR_BADREQ;
	}
	if (parent != NULL) {
		if (entity != NULL || sub != NULL) {
			*errstr = "a subcategory takes no --entity-id or --subcategory of its own";
			return ERR_BADREQ;
		}
		params[0] = name;
		params[1] = parent;
		if ((rc = db_run(pg, &tx_st_add_sub, params, &res, errstr)) != ERR_OK) {
			if (rc == ERR_CONFLICT)
				*errstr = "that subcategory exists already";
			return rc;
		}
		if (PQgetisnull(res, 0, 0)) {
			rc = ERR_NOTFOUND;
			*errstr = "no such parent category";
		} else if (strcmp(PQgetvalue(res, 0, 1), "1") != 0) {
			rc = ERR_BADREQ;
			*errstr = "the parent's entity id is optional: with subcategories too, "
			    "a key could be read two ways";
		}
		PQclear(res);
		return rc;
	}
	if (!tx_entity_word(entity) || (sub != NULL && strcmp(sub, "optional") != 0 &&
	    strcmp(sub, "required") != 0)) {
		*errstr = "--entity-id is required, optional or none; --subcategory optional or required";
		return ERR_BADREQ;
	}
	params[0] = name;
	params[1] = entity != NULL ? entity : "none";
	params[2] = sub != NULL ? sub : "optional";
	if ((rc = db_run(pg, &tx_st_add_category, params, &res, errstr)) != ERR_OK) {
		if (rc == ERR_CONFLICT)
			*errstr = "that category exists already";
		return rc;
	}
	PQclear(res);
	return ERR_OK;
}

enum err
taxonomy_remove(PGconn *pg, const char *name, const char *parent, int64_t *held,
    const char **errstr)
{
	const char *params[2] = { name, parent };
	PGresult *res = NULL;
	enum err rc;

	*held = 0;
	if ((rc = db_run(pg, parent != NULL ? &tx_st_remove_sub : &tx_st_remove_category,
	    params, &res, errstr)) != ERR_OK)
		return rc;
	*held = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		rc = ERR_NOTFOUND;
		*errstr = parent != NULL ? "no such subcategory" : "no such category";
	} else if (*held > 0) {
		rc = ERR_CONFLICT;
		*errstr = "files are stored under it";
	}
	PQclear(res);
	return rc;
}
