/* api_events.h - GET /api/storage/events: the outbox, for the SaaS to consume. */
#ifndef COFFER_API_EVENTS_H
#define COFFER_API_EVENTS_H

#include "http/req.h"

enum err api_events_list(struct req *r, const struct identity *id);	/* GET /api/storage/events?after=ID&limit=N */

#endif
