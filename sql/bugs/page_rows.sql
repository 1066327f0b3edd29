-- The rows of a page chosen by bugs/page_runs or bugs/page_all (this text follows
-- theirs): each bug with its project, assignee and its SLA state at
-- the as-of instant, with the hours left before, or past, the due instant of open bugs.
-- Index: bugs_bug_number_key, projects_pkey, users_pkey (50 lookups each).
SELECT b.bug_number AS bug,
       b.severity::text AS severity,
       b.status::text AS status,
       b.priority_score AS priority,
       b.title,
       p.name AS project,
       u.email AS assignee,
       b.is_blocker AS blocker,
       b.revenue_impact_daily,
       b.created_at,
       b.due_at,
       ctodb_sla_state(b.status, b.created_at, b.due_at, b.sla_hours, b.resolved_at, $9) AS sla_state,
       CASE WHEN b.status IN ('pending', 'in_progress') AND b.due_at >= $9
            THEN ctodb_round_ratio(extract(epoch FROM b.due_at - $9), 3600, 2) END::numeric(12,2) AS hours_left,
       CASE WHEN b.status IN ('pending', 'in_progress') AND b.due_at < $9
            THEN ctodb_round_ratio(extract(epoch FROM $9 - b.due_at), 3600, 2) END::numeric(12,2) AS hours_overdue
FROM page
JOIN bugs b ON b.bug_number = page.bug_number
JOIN projects p ON p.id = b.project_id
LEFT JOIN users u ON u.id = b.assignee_id
ORDER BY page.rank
