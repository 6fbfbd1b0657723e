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

-- 3. Charged sizes.  The quota counted only object bytes, while each file
-- also costs a filesystem block and inode (5 bytes take 4 KiB on disk) and
-- up to 16 KiB of metadata in the database.  Each file now carries what it
-- is charged (quota_charge() in src/engine/quota.c: the size rounded up to
-- [storage] charge_block, 4 KiB by default, plus the metadata's bytes),
-- and used, reserved and the breakdown sum charged sizes.  Existing files
-- are charged by the default rule, their metadata measured as stored, and
-- every customer is recalculated, so the breakdown still adds up to used.
ALTER TABLE files ADD COLUMN charged_size bigint;
UPDATE files SET charged_size = (size + 4095) / 4096 * 4096
    + coalesce(octet_length(metadata::text), 0);
ALTER TABLE files ALTER COLUMN charged_size SET NOT NULL;
ALTER TABLE files ADD CHECK (charged_size >= size);

-- 4. A per-plan limit on the number of files (NULL: none): each file is
-- a row, an inode and an object whatever its size.  customers.file_count
-- counts stored and pending files, moved by the same statements as the
-- byte counters (src/engine/quota.c, quota_upload.c).
ALTER TABLE plans ADD COLUMN max_files bigint CHECK (max_files IS NULL OR max_files > 0);
UPDATE plans SET max_files = CASE name WHEN 'starter' THEN 100000
    WHEN 'professional' THEN 1000000 WHEN 'business' THEN 2000000 END;
ALTER TABLE customers ADD COLUMN file_count bigint NOT NULL DEFAULT 0
    CHECK (file_count >= 0);

-- coffer_recalculate (001) with charged sizes in place of sizes, and the
-- file count.
CREATE OR REPLACE FUNCTION coffer_recalculate(p_customer uuid, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    old_used     bigint;
    old_reserved bigint;
    new_used     bigint;
    new_reserved bigint;
    new_files    bigint;
    rows         jsonb;
    result       jsonb;
BEGIN
    SELECT storage_used, storage_reserved INTO old_used, old_reserved
    FROM customers WHERE customer_id = p_customer FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    SELECT coalesce(sum(charged_size) FILTER (WHERE state = 'stored'), 0),
           coalesce(sum(charged_size) FILTER (WHERE state = 'pending'), 0), count(*)
    INTO new_used, new_reserved, new_files
    FROM files WHERE customer_id = p_customer AND state IN ('stored', 'pending');

    WITH live AS (
        SELECT file_type, category, count(*) AS n, sum(charged_size)::bigint AS s
        FROM files WHERE customer_id = p_customer AND state = 'stored'
        GROUP BY file_type, category
    ), old AS (
        SELECT file_type, category, file_count AS n, total_size AS s
        FROM storage_usage WHERE customer_id = p_customer
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'fileType', file_type, 'category', category,
               'countBefore', coalesce(o.n, 0), 'countAfter', coalesce(l.n, 0),
               'sizeBefore', coalesce(o.s, 0), 'sizeAfter', coalesce(l.s, 0),
               'sizeDrift', coalesce(o.s, 0) - coalesce(l.s, 0))
               ORDER BY file_type, category), '[]'::jsonb)
    INTO rows
    FROM old o FULL JOIN live l USING (file_type, category)
    WHERE coalesce(o.n, 0) <> coalesce(l.n, 0) OR coalesce(o.s, 0) <> coalesce(l.s, 0);

    DELETE FROM storage_usage u
    WHERE u.customer_id = p_customer AND NOT EXISTS (
        SELECT 1 FROM files f
        WHERE f.customer_id = p_customer AND f.state = 'stored'
          AND f.file_type = u.file_type AND f.category = u.category);
    INSERT INTO storage_usage AS u (customer_id, file_type, category, file_count, total_size)
    SELECT p_customer, file_type, category, count(*), sum(charged_size)
    FROM files WHERE customer_id = p_customer AND state = 'stored'
    GROUP BY file_type, category
    ON CONFLICT (customer_id, file_type, category) DO UPDATE
        SET file_count = EXCLUDED.file_count, total_size = EXCLUDED.total_size,
            last_updated = now()
        WHERE (u.file_count, u.total_size)
              IS DISTINCT FROM (EXCLUDED.file_count, EXCLUDED.total_size);

    UPDATE customers
    SET storage_used = new_used, storage_reserved = new_reserved, file_count = new_files,
        storage_last_calculated = now()
    WHERE customer_id = p_customer;

    result := jsonb_build_object(
        'customerId', p_customer,
        'used', jsonb_build_object('before', old_used, 'after', new_used,
                                   'drift', old_used - new_used),
        'reserved', jsonb_build_object('before', old_reserved, 'after', new_reserved,
                                       'drift', old_reserved - new_reserved),
        'breakdown', rows);
    INSERT INTO audit_log (customer_id, action, actor, size, detail)
    VALUES (p_customer, 'recalculate', p_actor, new_used, result);
    RETURN result;
END
$$;

SELECT coffer_recalculate(customer_id, 'migration 007: charged sizes')
FROM customers ORDER BY customer_id;
