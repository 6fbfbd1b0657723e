/* router.h - method + path table dispatching to the api_* handlers. */
#ifndef COFFER_ROUTER_H
#define COFFER_ROUTER_H

#include "http/req.h"

/*
 * Find the route for r->method and r->path, fill r->route and r->args,
 * check the caller may call it (authz_check() with the route's access
 * level), run its handler with the identity, and turn a failure into the
 * error response.  Unknown path: 404; known path with another method: 405;
 * refused: 403 (or 400 CUSTOMER_REQUIRED), the handler never runs.
 */
void router_dispatch(struct req *r);

struct metrics_route;

/* The route table as /metrics labels it: *out (static) holds one entry
 * per route, in the order of r->route_id; returns their number (the
 * "unmatched" id). */
int router_routes(const struct metrics_route **out);

#endif
