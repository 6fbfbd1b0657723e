/* api_events.c - the event outbox over HTTP: one customer's events after a cursor. */
#include "config.h"

#include <stdint.h>

#include "http/api_events.h"
#include "engine/db.h"
#include "engine/events.h"
#include "engine/identity.h"
#include "base/log.h"
#include "http/querystring.h"
#include "http/resp.h"

enum err
api_events_list(struct req *r, const struct identity *id)
{
	struct json_object *out = NULL;
	const char *errstr = NULL;
	long long after, limit;
	PGconn *pg;
	enum err rc;

	if ((rc = querystring_get_int(r, "after", 0, INT64_MAX, 0, &after)) != ERR_OK ||
	    (rc = querystring_get_int(r, "limit", 1, EVENTS_LIMIT_MAX, EVENTS_LIMIT_DEFAULT,
	    &limit)) != ERR_OK)
		return rc;
	if ((pg = db_conn()) == NULL)
		return ERR_DB;
	/* The customer comes from the identity alone: invariant 4. */
	if ((rc = events_list(pg, id->customer, (int64_t)after, (int)limit, &out,
	    &errstr)) != ERR_OK)
		return req_fail_engine(r, rc, REQ_CUSTOMER, "listing events", errstr);
	resp_ok(r, out);
	return ERR_OK;
}
