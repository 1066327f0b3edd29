-- Answers: live rows and last analyze per table, for doctor's statistics check.
-- Parameters: none.
SELECT s.relname::text AS table_name,
       s.n_live_tup AS live_rows,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyzed
FROM pg_stat_user_tables s
JOIN pg_class c ON c.oid = s.relid AND c.relkind IN ('r', 'p')
WHERE s.schemaname = 'public'
ORDER BY s.relname
