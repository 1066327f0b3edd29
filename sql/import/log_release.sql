-- Lets go of an import run's session lock (import/log_start.sql, log_owner_gone.sql).
-- Parameters: $1 log id.
SELECT pg_advisory_unlock(1819, hashtext($1::uuid::text)) AS released
