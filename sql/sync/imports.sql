-- Answers: the latest imports, newest first (ctodb report imports).
-- Parameters: $1 limit. Index: import_logs_started_at_idx.
SELECT l.started_at, l.source::text AS source, l.target, l.status, l.rows_total, l.rows_imported,
       l.rows_failed, l.finished_at, u.email AS imported_by,
       jsonb_array_length(l.errors) AS errors
FROM import_logs l
LEFT JOIN users u ON u.id = l.imported_by
ORDER BY l.started_at DESC
LIMIT $1
