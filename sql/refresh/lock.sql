-- Waits for the refresh lock and holds it until this transaction ends (ctodb refresh,
-- after refresh/try_lock said another refresh has it).
-- Parameters: none.
SELECT pg_advisory_xact_lock(7166475383992378726)
