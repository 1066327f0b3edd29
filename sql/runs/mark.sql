-- Names the transaction of a writing run in pg_stat_activity (application_name, reset at
-- the transaction's end), so that after a lost COMMIT the lookup finds the session of
-- that very transaction, whatever pid or pooler it went through.
-- Parameters: $1 the label, `ctodb run <uuid>`.
SELECT set_config('application_name', $1, true)
