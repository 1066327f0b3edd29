-- Marks failed an import whose process ended without finishing it (killed, or its
-- machine lost), as the next import finds it.
-- Parameters: $1 log id.
UPDATE import_logs
SET status = 'failed',
    errors = jsonb_build_array(jsonb_build_object(
        'line', 0,
        'message', 'the import''s process ended before the import finished; nothing of it was written')),
    finished_at = greatest(clock_timestamp(), started_at)
WHERE id = $1 AND status = 'running'
