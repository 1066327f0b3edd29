-- Answers: how many bytes of WAL the primary has written past a standby's replay
-- position (replica routing: a standby whose last replayed commit is old is behind only
-- if the primary has written since).
-- Parameters: $1 the standby's replay LSN as text.
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)::bigint AS bytes_ahead
