-- The imports recorded as under way (import/log_start.sql), oldest first: each is checked
-- for a live owner before the next import starts, and by doctor.
-- Parameters: none. Index: none needed (few rows are ever running; the table is small).
SELECT id, target, started_at FROM import_logs WHERE status = 'running' ORDER BY started_at
