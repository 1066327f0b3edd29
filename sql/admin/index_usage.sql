-- Answers: how often each index was used since statistics were reset, and its size
-- (ctodb stats): unused large indexes are candidates for review.
-- Parameters: none.
SELECT s.relname::text AS table_name,
       s.indexrelname::text AS index_name,
       s.idx_scan AS scans,
       s.idx_tup_read AS tuples_read,
       pg_relation_size(s.indexrelid) AS index_bytes
FROM pg_stat_user_indexes s
WHERE s.schemaname = 'public'
ORDER BY s.relname, s.indexrelname
