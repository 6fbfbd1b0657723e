-- 007: hardening (issue 19).
--
-- 1. Event ids per customer.  storage_events.id comes from one sequence
-- shared by every customer, so the gaps in one tenant's ids counted the
-- other tenants' activity.  Each event now also gets `seq`, the next
-- number of its own customer, and the API's event id and `after` cursor
-- are that.  A BEFORE INSERT trigger assigns it from a per-customer counter
-- row, so the statements that write events (src/engine/quota.c) need no
-- change; those statements hold the customer's row lock, and the counter
-- row is locked until commit too, so one customer's events still commit in
-- seq order.  The counter outlives purged events: numbers are never reused.
-- Existing events keep seq = id and the counters start at each customer's
-- largest id, so a consumer's stored cursor stays valid across the upgrade.

ALTER TABLE storage_events ADD COLUMN seq bigint;
UPDATE storage_events SET seq = id;
ALTER TABLE storage_events ALTER COLUMN seq SET NOT NULL;
ALTER TABLE storage_events ADD UNIQUE (customer_id, seq);

CREATE TABLE storage_event_counters (
    customer_id     uuid PRIMARY KEY,
    last_seq        bigint NOT NULL
);
INSERT INTO storage_event_counters (customer_id, last_seq)
    SELECT customer_id, max(id) FROM storage_events GROUP BY customer_id;

CREATE FUNCTION storage_events_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO storage_event_counters AS k (customer_id, last_seq)
        VALUES (NEW.customer_id, 1)
        ON CONFLICT (customer_id) DO UPDATE SET last_seq = k.last_seq + 1
        RETURNING last_seq INTO NEW.seq;
    RETURN NEW;
END
$$;

CREATE TRIGGER storage_events_seq BEFORE INSERT ON storage_events
    FOR EACH ROW EXECUTE FUNCTION storage_events_seq();

-- The notification names the event by its customer's number too.
CREATE OR REPLACE FUNCTION storage_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('coffer_events', json_build_object(
        'customerId', NEW.customer_id, 'id', NEW.seq, 'type', NEW.type,
        'threshold', NEW.threshold)::text);
    RETURN NULL;
END
$$;

-- 2. Retention (cofferctl purge, [reconcile] keep_deleted and keep_events):
-- deleted file rows whose object is gone, and old events, oldest first in
-- batches.  The audit trail is not purged (append-only, and it holds no
-- metadata).
CREATE INDEX files_purgeable ON files (deleted_at)
    WHERE state = 'deleted' AND object_removed_at IS NOT NULL;
CREATE INDEX storage_events_by_time ON storage_events (created_at);
