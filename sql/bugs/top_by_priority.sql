-- Answers: the open bugs with the highest priority score (report portfolio).
-- Parameters: $1 as-of instant, $2 how many (bigint). Index: bugs_priority_idx (open bugs come first).
SELECT b.bug_number AS bug, b.severity::text AS severity, b.priority_score AS priority, b.title,
       p.name AS project,
       ctodb_sla_state(b.status, b.created_at, b.due_at, b.sla_hours, b.resolved_at, $1) AS sla_state
FROM bugs b
JOIN projects p ON p.id = b.project_id
WHERE b.status IN ('pending', 'in_progress')
ORDER BY b.priority_score DESC, b.bug_number
LIMIT $2
