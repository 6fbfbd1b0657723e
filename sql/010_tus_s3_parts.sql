-- 010: resumable uploads on S3 send their parts as the bytes arrive (docs/TUS.md).
--
-- Once an upload's first full part is acknowledged, a multipart upload is
-- begun under the file's final key (the reservation's key with the
-- extension the first bytes tell) and each full part is sent as it is
-- acknowledged; the tail goes at completion.  Any worker continues from
-- these rows.  Completion, termination and expiry end the multipart upload
-- (complete or abort) and forget it; the reconciler aborts those of
-- expired uploads and, past [reconcile] orphan_grace, any multipart upload
-- under customers/ that no row here (nor a pending plain upload) knows.

ALTER TABLE tus_uploads
    ADD COLUMN s3_upload_id text,       -- NULL until the first part is due
    ADD COLUMN s3_key       text,       -- the key it was begun under
    ADD COLUMN s3_mime_type text,       -- the Content-Type it was begun with
    ADD COLUMN s3_part_size bigint,     -- every part but the last is this long
    ADD CONSTRAINT tus_uploads_s3_all CHECK (
        (s3_upload_id IS NULL) = (s3_key IS NULL) AND
        (s3_upload_id IS NULL) = (s3_mime_type IS NULL) AND
        (s3_upload_id IS NULL) = (s3_part_size IS NULL)),
    ADD CONSTRAINT tus_uploads_s3_part_size CHECK (s3_part_size >= 5242880);

-- The reconciler asks whether a listed multipart upload is one of ours.
CREATE INDEX tus_uploads_by_s3_upload ON tus_uploads (s3_upload_id)
    WHERE s3_upload_id IS NOT NULL;

-- The parts S3 acknowledged, with the ETag CompleteMultipartUpload wants.
CREATE TABLE tus_parts (
    customer_id     uuid NOT NULL,
    id              uuid NOT NULL,
    part_number     integer NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
    etag            text NOT NULL CHECK (etag <> ''),
    size            bigint NOT NULL CHECK (size > 0),
    PRIMARY KEY (customer_id, id, part_number),
    FOREIGN KEY (customer_id, id) REFERENCES tus_uploads (customer_id, id) ON DELETE CASCADE
);
