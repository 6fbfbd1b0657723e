/* handles.c - lazily opened per-worker handles: libmagic, storage backend, allowlist. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/handles.h"
#include "base/log.h"
#include "engine/mime.h"
#include "store/store.h"
#include "engine/storekey.h"
#include "base/xmalloc.h"

static const struct conf *app_conf;
static struct mime *app_magic;
static const struct store_backend *app_backend;
static void *app_store_h;
static char **app_allow;

void
handles_init(const struct conf *conf)
{
	char *copy, *tok, *save = NULL;
	size_t n = 0;

	app_conf = conf;
	/* "a, b ,c" -> {"a", "b", "c", NULL}; validated in conf.c. */
	copy = xstrdup(conf->allowed_types);
	app_allow = xcalloc(strlen(copy) / 2 + 2, sizeof(*app_allow));
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save))
		app_allow[n++] = xstrdup(tok);
	app_allow[n] = NULL;
	free(copy);
}

const char *const *
handles_mime_allow(void)
{
	return (const char *const *)app_allow;
}

enum err
handles_mime(struct mime **out, const char **errstr)
{
	enum err rc;

	if (app_magic == NULL && (rc = mime_new(&app_magic, handles_mime_allow(), errstr)) != ERR_OK) {
		log_errorx("libmagic: %s", *errstr);
		return rc;
	}
	*out = app_magic;
	return ERR_OK;
}

enum err
handles_store(const struct store_backend **backend, void **handle, const char **errstr)
{
	/* Metrics wrap the interface, not each backend. */
	if (app_backend == NULL && (app_backend = store_metered(store_lookup(app_conf))) == NULL) {
		*errstr = "storage backend not available in this build";
		return ERR_INTERNAL;
	}
	if (app_store_h == NULL &&
	    (app_store_h = app_backend->open(app_conf, errstr)) == NULL)
		return ERR_BACKEND;
	*backend = app_backend;
	*handle = app_store_h;
	return ERR_OK;
}

const struct storekey_taxonomy *
handles_taxonomy(void)
{
	return storekey_default_taxonomy();
}

void
handles_close(void)
{
	size_t i;

	if (app_backend != NULL && app_store_h != NULL)
		app_backend->close(app_store_h);
	app_store_h = NULL;
	if (app_magic != NULL)
		mime_free(app_magic);
	app_magic = NULL;
	for (i = 0; app_allow != NULL && app_allow[i] != NULL; i++)
		free(app_allow[i]);
	free(app_allow);
	app_allow = NULL;
}
