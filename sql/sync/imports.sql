-- Answers: the latest imports, newest first (ctodb report imports), each with the start of
-- its run id (eight hex digits, as git shortens a commit: what `ctodb import undo` takes)
-- and when it was undone, if it was.
-- Parameters: $1 limit. Index: import_logs_started_at_idx.
SELECT left(l.id::text, 8) AS run, l.started_at, l.source::text AS source, l.target, l.status, l.rows_total,
       l.rows_imported, l.rows_failed, l.finished_at, u.email AS imported_by,
       jsonb_array_length(l.errors) AS errors, d.undone_at
FROM import_logs l
LEFT JOIN users u ON u.id = l.imported_by
LEFT JOIN ctodb.import_undone d ON d.run_id = l.id
ORDER BY l.started_at DESC
LIMIT $1
