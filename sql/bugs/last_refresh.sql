-- Answers: when the last refresh stored the scores (the priority a listing shows is its),
-- or NULL when none has run.
-- Parameters: none. Index: audit_log_entity_idx.
SELECT max(a.created_at) AS last_refresh
FROM audit_log a
WHERE a.entity_type = 'database' AND a.action = 'refresh'
