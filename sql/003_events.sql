-- 003: the event outbox: uploads, deletes and quota thresholds crossed.
--
-- Rows are written by the same statement as the change they announce
-- (quota_commit, quota_delete in src/quota.c), so an event exists exactly
-- when its change committed.  Consumers read them in id order through
-- GET /api/storage/events?after=ID, and may LISTEN on coffer_events to be
-- woken up: the trigger below notifies in the same transaction, so the
-- notification is delivered only if the event committed.
--
-- Ids come from one sequence, and every insert for a customer happens
-- while its statement holds that customer's row lock (the insert reads from
-- the customers UPDATE), so one customer's events commit in id order: a
-- reader that has seen id N never later finds a new event of the same
-- customer below N.

CREATE TABLE storage_events (
    customer_id     uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    type            text NOT NULL
                    CHECK (type IN ('file.uploaded', 'file.deleted', 'quota.threshold')),
    file_id         uuid,
    storage_key     text,
    size            bigint,
    -- The customer's committed usage and limit right after the change;
    -- quota_limit NULL means unlimited.
    used            bigint NOT NULL,
    quota_limit     bigint,
    -- quota.threshold only: the percentage of the limit just reached.
    threshold       int CHECK (threshold IN (80, 90, 100)),
    actor           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, id),
    CHECK ((type = 'quota.threshold') = (threshold IS NOT NULL))
);

-- A small payload (NOTIFY allows 8000 bytes): consumers fetch the rest.
CREATE FUNCTION storage_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('coffer_events', json_build_object(
        'customerId', NEW.customer_id, 'id', NEW.id, 'type', NEW.type,
        'threshold', NEW.threshold)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER storage_events_notify AFTER INSERT ON storage_events
    FOR EACH ROW EXECUTE FUNCTION storage_events_notify();
