-- 001: plans, customers, files, the usage breakdown and the audit trail.
--
-- Every per-tenant table carries customer_id and leads its keys with it, so
-- every query filters by it and a Citus-style distribution by customer_id
-- needs no rewrite. plans is global reference data.

CREATE TABLE plans (
    name            text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,31}$'),
    -- NULL means unlimited: never a magic number.
    storage_limit   bigint CHECK (storage_limit IS NULL OR storage_limit >= 0),
    max_file_size   bigint NOT NULL CHECK (max_file_size > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO plans (name, storage_limit, max_file_size) VALUES
    ('starter',      5::bigint   * 1024 * 1024 * 1024, 50 * 1024 * 1024),
    ('professional', 50::bigint  * 1024 * 1024 * 1024, 50 * 1024 * 1024),
    ('business',     100::bigint * 1024 * 1024 * 1024, 50 * 1024 * 1024),
    ('enterprise',   NULL,                             50 * 1024 * 1024);

CREATE TABLE customers (
    customer_id     uuid PRIMARY KEY,
    plan            text NOT NULL REFERENCES plans (name),
    -- Per-customer override of the plan's limit: a byte count, or
    -- unlimited; both unset means "the plan's limit".
    limit_override  bigint CHECK (limit_override IS NULL OR limit_override >= 0),
    limit_override_unlimited boolean NOT NULL DEFAULT false,
    storage_used    bigint NOT NULL DEFAULT 0 CHECK (storage_used >= 0),
    storage_reserved bigint NOT NULL DEFAULT 0 CHECK (storage_reserved >= 0),
    storage_last_calculated timestamptz,
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'suspended')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT (limit_override_unlimited AND limit_override IS NOT NULL))
);

-- The effective limit in one place: override, else plan; NULL = unlimited.
CREATE FUNCTION coffer_effective_limit(c customers) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.limit_override_unlimited THEN NULL
        WHEN c.limit_override IS NOT NULL THEN c.limit_override
        ELSE (SELECT p.storage_limit FROM plans p WHERE p.name = c.plan)
    END
$$;

CREATE TABLE files (
    customer_id     uuid NOT NULL REFERENCES customers (customer_id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    storage_key     text NOT NULL,
    category        text NOT NULL,
    subcategory     text,
    entity_id       text,
    original_name   text NOT NULL,
    mime_type       text NOT NULL,
    file_type       text NOT NULL,
    size            bigint NOT NULL CHECK (size >= 0),
    sha256          text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'stored', 'deleted')),
    uploaded_by     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    stored_at       timestamptz,
    deleted_at      timestamptz,
    deleted_by      text,
    -- Set once the object is gone from the backend; a deleted row without
    -- it is an object removal still owed (retried by the reconciler).
    object_removed_at timestamptz,
    metadata        jsonb,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, storage_key),
    CHECK (state <> 'stored' OR stored_at IS NOT NULL),
    CHECK ((state = 'deleted') = (deleted_at IS NOT NULL))
);

-- Listing, stats and "recent uploads": newest stored files first.
CREATE INDEX files_live_by_time ON files (customer_id, created_at DESC, id DESC)
    WHERE state = 'stored';
-- The reconciler's work queues.
CREATE INDEX files_pending_by_time ON files (created_at) WHERE state = 'pending';
CREATE INDEX files_removal_owed ON files (deleted_at)
    WHERE state = 'deleted' AND object_removed_at IS NULL;

CREATE TABLE storage_usage (
    customer_id     uuid NOT NULL REFERENCES customers (customer_id),
    file_type       text NOT NULL,
    category        text NOT NULL,
    file_count      bigint NOT NULL DEFAULT 0 CHECK (file_count >= 0),
    total_size      bigint NOT NULL DEFAULT 0 CHECK (total_size >= 0),
    last_updated    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, file_type, category)
);

-- Append-only: who did what to which file, of what size, when. No foreign
-- key, so the trail outlives anything it mentions.
CREATE TABLE audit_log (
    customer_id     uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    action          text NOT NULL,
    actor           text,
    file_id         uuid,
    storage_key     text,
    size            bigint,
    detail          jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (customer_id, created_at DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Triggers bind the table's owner too (GRANTs alone would not).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- Recompute one customer's counters from its files and report the drift.
--
-- Lock first, read after: in READ COMMITTED each statement below takes a
-- fresh snapshot once the customer row is locked, and every writer of these
-- counters (reserve, commit, release, delete) updates that same row, so none
-- can commit in between.  A commit already under way has flipped its file
-- row but waits for our lock; its file still reads as pending here, and its
-- own increments land on top of our result afterwards, so nothing is lost.
-- Returns NULL for an unknown customer, else the drift (before - after; a
-- positive drift means the counter was too high), which also goes into the
-- audit trail.
CREATE FUNCTION coffer_recalculate(p_customer uuid, p_actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    old_used     bigint;
    old_reserved bigint;
    new_used     bigint;
    new_reserved bigint;
    rows         jsonb;
    result       jsonb;
BEGIN
    SELECT storage_used, storage_reserved INTO old_used, old_reserved
    FROM customers WHERE customer_id = p_customer FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    SELECT coalesce(sum(size) FILTER (WHERE state = 'stored'), 0),
           coalesce(sum(size) FILTER (WHERE state = 'pending'), 0)
    INTO new_used, new_reserved
    FROM files WHERE customer_id = p_customer AND state IN ('stored', 'pending');

    WITH live AS (
        SELECT file_type, category, count(*) AS n, sum(size)::bigint AS s
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
    SELECT p_customer, file_type, category, count(*), sum(size)
    FROM files WHERE customer_id = p_customer AND state = 'stored'
    GROUP BY file_type, category
    ON CONFLICT (customer_id, file_type, category) DO UPDATE
        SET file_count = EXCLUDED.file_count, total_size = EXCLUDED.total_size,
            last_updated = now()
        WHERE (u.file_count, u.total_size)
              IS DISTINCT FROM (EXCLUDED.file_count, EXCLUDED.total_size);

    UPDATE customers
    SET storage_used = new_used, storage_reserved = new_reserved,
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
