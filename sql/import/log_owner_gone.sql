-- Whether the process of a `running` import is gone: its session lock (taken by
-- import/log_start.sql) is free. When it is, this connection now holds it, so that the
-- row can be marked failed without racing anyone; import/log_release.sql lets go.
-- Parameters: $1 log id.
SELECT pg_try_advisory_lock(1819, hashtext($1::uuid::text)) AS gone
