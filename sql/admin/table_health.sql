-- Answers: live rows and last analyze per table, for doctor's statistics check.
-- Parameters: none.
SELECT relname::text AS table_name,
       n_live_tup AS live_rows,
       greatest(last_analyze, last_autoanalyze) AS last_analyzed
FROM pg_stat_user_tables
WHERE schemaname = 'public'
ORDER BY relname
