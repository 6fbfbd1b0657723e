/* router.h - method + path table dispatching to the api_* handlers. */
#ifndef COFFER_ROUTER_H
#define COFFER_ROUTER_H

#include "http/req.h"

/*
 * Find the handler for r->method and r->path, fill r->route and r->args,
 * run it, and turn a failure into the error response.  Unknown path: 404;
 * known path with another method: 405.
 */
void router_dispatch(struct req *r);

struct metrics_route;

/* The route table as /metrics labels it: *out (static) holds one entry
 * per route, in the order of r->route_id; returns their number (the
 * "unmatched" id). */
int router_routes(const struct metrics_route **out);

#endif
