-- Answers: rows and disk size of each of ctodb's tables (ctodb stats).
-- Parameters: none. Exact counts: bugs from the ctodb.bug_counts summary and
-- project_metrics from ctodb.table_rows (both kept by triggers: counting those two takes
-- 150 ms at xl), the smaller tables by an index-only or sequential scan.
WITH counts (table_name, row_count) AS (
    VALUES ('users', (SELECT count(*) FROM users)),
           ('projects', (SELECT count(*) FROM projects)),
           ('bugs', (SELECT sum(bugs)::bigint FROM ctodb.bug_counts)),
           ('project_metrics', (SELECT r.rows FROM ctodb.table_rows r WHERE r.table_name = 'project_metrics')),
           ('monthly_metrics', (SELECT count(*) FROM monthly_metrics)),
           ('portfolio_metrics', (SELECT count(*) FROM portfolio_metrics)),
           ('bug_history', (SELECT count(*) FROM bug_history)),
           ('import_logs', (SELECT count(*) FROM import_logs)),
           ('audit_log', (SELECT count(*) FROM audit_log))
)
SELECT counts.table_name,
       counts.row_count AS rows,
       pg_table_size(c.oid) AS table_bytes,
       pg_indexes_size(c.oid) AS index_bytes,
       pg_total_relation_size(c.oid) AS total_bytes,
       s.seq_scan,
       s.idx_scan,
       greatest(s.last_analyze, s.last_autoanalyze) AS last_analyzed
FROM counts
JOIN pg_class c ON c.relname = counts.table_name AND c.relnamespace = 'public'::regnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
ORDER BY counts.table_name
