-- Answers: the last import of each source (ctodb report sync).
-- Parameters: none. Index: import_logs_source_started_at_idx.
SELECT s.source::text AS source, last.target, last.status, last.rows_imported, last.rows_failed,
       last.started_at, last.finished_at
FROM unnest(enum_range(NULL::import_source)) AS s (source)
LEFT JOIN LATERAL (
    SELECT l.* FROM import_logs l WHERE l.source = s.source ORDER BY l.started_at DESC LIMIT 1
) last ON true
ORDER BY s.source
