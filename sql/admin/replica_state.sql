-- Answers: whether the server is a standby in recovery, how far it has replayed the
-- primary's WAL and the commit instant of the last transaction it replayed (NULL before
-- the first, and on a primary), and its clock (replica routing, doctor, export).
-- Parameters: none.
SELECT pg_is_in_recovery() AS standby,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_last_xact_replay_timestamp() AS replayed_at,
       now() AS server_now
