-- 008: the breakdown keyed the seed's way: one row per (file type,
-- category, subcategory), so GET /api/storage/stats can show the seed's
-- `subcategory || category` ('leases', 'photos') and still name the parent
-- ('documents', 'properties') for clients that group.
--
-- subcategory is '' for files without one (a key column cannot be NULL):
-- every writer stores coalesce(files.subcategory, '').
--
-- Sizes are charged sizes (files.charged_size, 007: usage, the limit and
-- the breakdown count what a file costs, not its bare bytes), and the
-- recalculation recounts customers.file_count (007's per-plan max_files).
--
-- Existing rows cannot be split by subcategory (they never recorded it),
-- so the breakdown is rebuilt from the live files, which invariant 2 says
-- it must equal anyway.  The table lock comes first: every statement that
-- moves a file in or out of 'stored' (commit, delete) writes storage_usage
-- in the same statement and locks the table when it starts, so none is
-- half-way between the files we read and the rows we write.  Run it with
-- the cofferd that knows it: an older cofferd's commit names the old key
-- and fails (the upload is refused and released, nothing is charged).

LOCK TABLE storage_usage IN ACCESS EXCLUSIVE MODE;

ALTER TABLE storage_usage ADD COLUMN subcategory text NOT NULL DEFAULT '';
ALTER TABLE storage_usage DROP CONSTRAINT storage_usage_pkey;
ALTER TABLE storage_usage ADD PRIMARY KEY (customer_id, file_type, category, subcategory);

DELETE FROM storage_usage;
INSERT INTO storage_usage (customer_id, file_type, category, subcategory, file_count, total_size)
SELECT customer_id, file_type, category, coalesce(subcategory, ''), count(*), sum(charged_size)
FROM files WHERE state = 'stored'
GROUP BY customer_id, file_type, category, coalesce(subcategory, '');

-- 001's recalculation, keyed like the table now.  Its report's rows carry
-- the seed's category (subcategory || category) and the parent.
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
        SELECT file_type, category, coalesce(subcategory, '') AS subcategory,
               count(*) AS n, sum(charged_size)::bigint AS s
        FROM files WHERE customer_id = p_customer AND state = 'stored'
        GROUP BY 1, 2, 3
    ), old AS (
        SELECT file_type, category, subcategory, file_count AS n, total_size AS s
        FROM storage_usage WHERE customer_id = p_customer
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'fileType', file_type,
               'category', coalesce(nullif(subcategory, ''), category),
               'parentCategory', category,
               'countBefore', coalesce(o.n, 0), 'countAfter', coalesce(l.n, 0),
               'sizeBefore', coalesce(o.s, 0), 'sizeAfter', coalesce(l.s, 0),
               'sizeDrift', coalesce(o.s, 0) - coalesce(l.s, 0))
               ORDER BY file_type, category, subcategory), '[]'::jsonb)
    INTO rows
    FROM old o FULL JOIN live l USING (file_type, category, subcategory)
    WHERE coalesce(o.n, 0) <> coalesce(l.n, 0) OR coalesce(o.s, 0) <> coalesce(l.s, 0);

    DELETE FROM storage_usage u
    WHERE u.customer_id = p_customer AND NOT EXISTS (
        SELECT 1 FROM files f
        WHERE f.customer_id = p_customer AND f.state = 'stored'
          AND f.file_type = u.file_type AND f.category = u.category
          AND coalesce(f.subcategory, '') = u.subcategory);
    INSERT INTO storage_usage AS u (customer_id, file_type, category, subcategory,
                                    file_count, total_size)
    SELECT p_customer, file_type, category, coalesce(subcategory, ''), count(*), sum(charged_size)
    FROM files WHERE customer_id = p_customer AND state = 'stored'
    GROUP BY file_type, category, coalesce(subcategory, '')
    ON CONFLICT (customer_id, file_type, category, subcategory) DO UPDATE
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
