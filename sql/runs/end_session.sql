-- After a lost COMMIT: ends the server session of the run's transaction when it still
-- waits in that transaction (the client is gone; without this it would hold its locks
-- until TCP noticed). A session already running the COMMIT is left to finish it.
-- Parameters: $1 the run's label (runs/mark.sql).
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS ended
FROM pg_stat_activity
WHERE application_name = $1
  AND pid <> pg_backend_pid()
  AND state IN ('idle in transaction', 'idle in transaction (aborted)')
