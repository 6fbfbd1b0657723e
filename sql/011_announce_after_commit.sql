-- 011: uploads and deletes announce their events after they commit.
--
-- A NOTIFY takes a cluster-wide lock at commit and holds it until the
-- commit is over, WAL flush included (PostgreSQL's async.c serialises
-- notifying transactions so that the queue is in commit order).  With
-- the trigger of 003 every upload notified, so every upload's commit
-- waited for the fsync of the one before it: no group commit, and
-- throughput at 32 clients fell below that at 8 (bench/quota/run,
-- bench/results/2026-12-03-notify.md).
--
-- The statements cofferd runs for uploads and deletes (src/engine/quota.c,
-- quota_upload.c) now insert their events with announce_after_commit set,
-- which the trigger skips, and return the notes; cofferd passes them to
-- coffer_announce() once the change has committed, in a transaction of
-- its own that does not wait for its WAL flush, so the lock is held for
-- microseconds.  Everything else that writes events (recalculation,
-- operators' SQL) still notifies at commit.
--
-- What a listener sees is unchanged: the same payload, on the same
-- channel, only for committed events.  A worker that dies between the
-- commit and the announcement loses that notification; the outbox row is
-- there all the same, which is why consumers read GET /api/storage/events
-- and treat notifications as a wake-up, never as the record.

ALTER TABLE storage_events
    ADD COLUMN announce_after_commit boolean NOT NULL DEFAULT false;

DROP TRIGGER storage_events_notify ON storage_events;
CREATE TRIGGER storage_events_notify AFTER INSERT ON storage_events
    FOR EACH ROW WHEN (NOT NEW.announce_after_commit)
    EXECUTE FUNCTION storage_events_notify();

-- The notes are storage_events_notify()'s payloads, built by the statement
-- that wrote the events.  synchronous_commit is off for this transaction
-- only (set_config's is_local): a notification needs no durability, the
-- outbox row has it.
CREATE FUNCTION coffer_announce(notes text[]) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_notify('coffer_events', n) FROM unnest(notes) AS n;
    RETURN coalesce(cardinality(notes), 0);
END
$$;
