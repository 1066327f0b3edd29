-- Answers: one bug by its number, with its SLA state at the as-of instant (ctodb bug show N).
-- The priority is the one stored by the last refresh, named so, with that refresh's time
-- (audit_log_entity_idx); bug show computes the priority at the as-of beside it.
-- Parameters: $1 bug number, $2 as-of instant. Index: bugs_bug_number_key.
SELECT b.bug_number AS bug, b.title, b.description, p.name AS project, b.severity::text AS severity,
       b.status::text AS status, b.is_blocker AS blocker, b.revenue_impact_daily,
       b.priority_score AS priority_at_last_refresh,
       (SELECT max(a.created_at) FROM audit_log a
        WHERE a.entity_type = 'database' AND a.action = 'refresh') AS last_refresh,
       b.sla_hours, b.created_at, b.due_at, b.resolved_at,
       ctodb_sla_state(b.status, b.created_at, b.due_at, b.sla_hours, b.resolved_at, $2) AS sla_state,
       reporter.email AS reporter, assignee.email AS assignee, b.labels, b.source::text AS source,
       b.external_id, b.updated_at, b.id
FROM bugs b
JOIN projects p ON p.id = b.project_id
LEFT JOIN users reporter ON reporter.id = b.reporter_id
LEFT JOIN users assignee ON assignee.id = b.assignee_id
WHERE b.bug_number = $1
