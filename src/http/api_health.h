/* api_health.h - liveness, readiness and pool status handlers. */
#ifndef COFFER_API_HEALTH_H
#define COFFER_API_HEALTH_H

#include "http/req.h"

/* GET /healthz: the worker answers; nothing else is checked. */
enum err api_health_healthz(struct req *r, const struct identity *id);
/* GET /readyz: the database (and later the backend) is reachable. */
enum err api_health_readyz(struct req *r, const struct identity *id);
/* GET /status[?full]: the pool scoreboard, php-fpm style. */
enum err api_health_status(struct req *r, const struct identity *id);
/* GET /metrics: Prometheus text of the scoreboard's metrics (metrics.c). */
enum err api_health_metrics(struct req *r, const struct identity *id);
#ifdef COFFER_TEST_HOOKS
/* GET /debug/sleep?ms=N: test builds only; a request that takes N ms. */
enum err api_health_debug_sleep(struct req *r, const struct identity *id);
/* GET /debug/crash: test builds only; the worker dies as if it crashed. */
enum err api_health_debug_crash(struct req *r, const struct identity *id);
#endif

#endif
