-- After a lost COMMIT: ends the server session of the run's transaction (the one holding
-- its lock, runs/mark.sql) when it still waits in that transaction: the client is gone,
-- and without this it would keep its locks until TCP noticed. A session already running
-- the COMMIT is left to finish it. A bigint advisory lock shows in pg_locks as its high
-- and low 32 bits (classid, objid) with objsubid 1.
-- Parameters: $1 the run's key (bigint).
SELECT count(*) FILTER (WHERE pg_terminate_backend(a.pid)) AS ended
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.objsubid = 1
  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
  AND l.objid = ($1::bigint & 4294967295)::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND a.pid <> pg_backend_pid()
  AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
