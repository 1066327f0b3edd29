-- Marks the transaction of a writing run with a transaction-level advisory lock named
-- after the run (the first 64 bits of its id), so that after a lost COMMIT the lookup
-- finds the server session of that very transaction in pg_locks, whatever pid or pooler
-- it went through. The lock ends with the transaction. It also names the command for the
-- transaction (ctodb.via), which the bug history records beside the person, if any.
-- Parameters: $1 the run's key (bigint), $2 the command (`import github`).
SELECT pg_advisory_xact_lock($1) IS NULL AS marked, set_config('ctodb.via', $2, true) AS via
