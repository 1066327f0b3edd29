-- Records that an import started (ctodb import), in its own transaction, so that the row
-- stays whatever becomes of the import. The same statement takes a session advisory lock
-- named after the row, held by this connection until the import ends: the row is never
-- visible without its lock, so a `running` row whose lock is free belongs to a process
-- that is gone (import/log_owner_gone.sql). (1819, hashtext(id)) is the key space of
-- import runs; a collision of two hashes only delays a clean-up.
-- Parameters: $1 source, $2 target (the file), $3 kind, $4 the actor's id.
WITH started AS (
    INSERT INTO import_logs (source, target, kind, status, imported_by, started_at)
    VALUES ($1, $2, $3, 'running', $4, clock_timestamp())
    RETURNING id
)
SELECT id, pg_try_advisory_lock(1819, hashtext(id::text)) AS held
FROM started
