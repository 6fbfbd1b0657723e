/* events.h - the event outbox (sql/003_events.sql) as the SaaS reads it. */
#ifndef COFFER_EVENTS_H
#define COFFER_EVENTS_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "base/err.h"

#define EVENTS_LIMIT_DEFAULT	100
#define EVENTS_LIMIT_MAX	1000

/*
 * One customer's events with id > after, ascending, at most limit of them
 * (1..EVENTS_LIMIT_MAX), in one round trip.  The id is the customer's own
 * event number (1, 2, 3, ...: sql/007), never a global one.  On ERR_OK the caller owns
 * *out: {"events": [{id, type, createdAt, fileId, filePath, size, used,
 * limit, threshold, actor}], "nextAfter": the last id returned (else
 * after), "hasMore": whether more follow}.  ERR_DB, ERR_INTERNAL.
 */
enum err events_list(PGconn *pg, const char *customer_id, int64_t after, int limit,
    struct json_object **out, const char **errstr);

#endif
