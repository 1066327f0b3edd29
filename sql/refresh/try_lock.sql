-- Takes the refresh lock for this transaction if no other refresh holds it (ctodb
-- refresh): true when taken. Two refreshes at once would compute the same values and
-- wait on each other's row locks; the second waits here instead, then finds nothing left
-- to change.
-- Parameters: none. The key is the bytes of "ctodbref" (migrate's is "ctodbmig").
SELECT pg_try_advisory_xact_lock(7166475383992378726) AS taken
