-- 009: resumable uploads (tus 1.0, docs/TUS.md).
--
-- One row per upload created with POST /api/storage/uploads.  Its quota is
-- the 'pending' files row of the same id that quota_reserve() created at
-- creation: the reservation is counted in customers.storage_reserved (and
-- by recalculation) like any in-flight upload.  This row only says how
-- far the client got and until when the upload may be resumed.
--
-- upload_offset is the number of bytes acknowledged to the client: they
-- are in the partial file and fsync'd.  A partial file longer than that
-- (a worker died between its fsync and this row's update) is cut back.

CREATE TABLE tus_uploads (
    customer_id     uuid NOT NULL REFERENCES customers (customer_id),
    id              uuid NOT NULL,          -- = files.id of the reservation
    upload_length   bigint NOT NULL CHECK (upload_length > 0),
    upload_offset   bigint NOT NULL DEFAULT 0
                    CHECK (upload_offset >= 0 AND upload_offset <= upload_length),
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    -- Set when the file was committed (stored); the row then only answers
    -- HEAD (with the file's id) until it expires.
    completed_at    timestamptz,
    PRIMARY KEY (customer_id, id)
);

-- The reconciler's sweep of expired uploads.
CREATE INDEX tus_uploads_by_expiry ON tus_uploads (expires_at);
