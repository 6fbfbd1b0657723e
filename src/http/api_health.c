/* api_health.c - /healthz, /readyz, /status (and a test-only slow route). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/api_health.h"
#include "engine/handles.h"
#include "engine/db.h"
#include "base/log.h"
#include "daemon/metrics.h"
#include "engine/migrate.h"
#include "http/router.h"
#include "store/store.h"
#include "http/resp.h"
#include "daemon/scoreboard.h"

enum err
api_health_healthz(struct req *r, const struct identity *id)
{
	struct json_object *o = json_object_new_object();

	(void)id;
	json_object_object_add(o, "status", json_object_new_string("ok"));
	resp_json(r, 200, o, NULL);
	return ERR_OK;
}

/* The schema version this worker saw last (-1: none yet): a version that
 * is behind is logged once, not on every probe. */
static int api_health_schema_seen = -1;

enum err
api_health_readyz(struct req *r, const struct identity *id)
{
	struct json_object *o = json_object_new_object(), *checks;
	const struct store_backend *store;
	const char *errstr = NULL, *schema = "unknown";
	enum err db = db_ping(), be;
	int have, want = migrate_latest(), ready;
	void *sh;

	(void)id;
	/* A cofferd newer than the schema would fail on its first statement
	 * that needs a new migration: not ready until `cofferctl migrate`. */
	if (db == ERR_OK) {
		if ((have = migrate_current(db_conn())) < 0)
			db = ERR_DB;	/* the connection went away since the ping */
		else if (have < want) {
			schema = "behind";
			if (have != api_health_schema_seen)
				log_warnx("readiness: database schema at version %d, this cofferd"
				    " needs %d: run cofferctl migrate", have, want);
		} else
			schema = "ok";
		api_health_schema_seen = have;
	}
	if ((be = handles_store(&store, &sh, &errstr)) == ERR_OK)
		be = store->ping(sh, &errstr);
	if (be != ERR_OK)
		log_warnx("readiness: storage backend: %s", errstr ? errstr : "unavailable");
	ready = db == ERR_OK && strcmp(schema, "ok") == 0 && be == ERR_OK;
	checks = json_object_new_object();
	json_object_object_add(checks, "database",
	    json_object_new_string(db == ERR_OK ? "ok" : "unavailable"));
	json_object_object_add(checks, "schema", json_object_new_string(schema));
	json_object_object_add(checks, "storage",
	    json_object_new_string(be == ERR_OK ? "ok" : "unavailable"));
	json_object_object_add(o, "status", json_object_new_string(ready ? "ready" : "not ready"));
	json_object_object_add(o, "checks", checks);
	resp_json(r, ready ? 200 : 503, o, NULL);
	return ERR_OK;
}

enum err
api_health_status(struct req *r, const struct identity *id)
{
	int full = r->query != NULL && strstr(r->query, "full") != NULL;

	(void)id;
	resp_json(r, 200, sb_status_json("coffer", full), NULL);
	return ERR_OK;
}

/* Prometheus text; only loopback may ask (router.c, and nginx/coffer-site.conf.in). */
enum err
api_health_metrics(struct req *r, const struct identity *id)
{
	const struct metrics_route *routes;
	int n = router_routes(&routes);
	size_t len;
	char *text = metrics_render(routes, n, &len);

	(void)id;
	resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return ERR_OK;
}

#ifdef COFFER_TEST_HOOKS
enum err
api_health_debug_sleep(struct req *r, const struct identity *id)
{
	long ms = 0;
	struct timespec ts;

	(void)id;
	if (r->query != NULL && strncmp(r->query, "ms=", 3) == 0)
		ms = strtol(r->query + 3, NULL, 10);
	if (ms < 0 || ms > 600000)
		return req_fail(r, ERR_BADREQ, NULL, "ms must be 0..600000");
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
	return api_health_healthz(r, NULL);
}

enum err
api_health_debug_crash(struct req *r, const struct identity *id)
{
	(void)r;
	(void)id;
	abort();
}
#endif
