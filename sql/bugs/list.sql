-- Answers: bugs matching the filters, one page, most urgent first (ctodb bugs; the
-- project's open bugs of ctodb project; the lists of report sla). With the SLA state at
-- the as-of instant and the hours left before, or past, the due instant of open bugs.
-- The page is chosen first, reading only columns the open-bug indexes carry (an
-- index-only scan for open bugs), then its rows are read and joined.
-- Parameters: $1 severities (bug_severity[] or NULL for all), $2 statuses (bug_status[]),
-- $3 project id or NULL, $4 assignee id or NULL, $5 only unassigned, $6 only blockers,
-- $7 only breached, $8 only at risk, $9 as-of instant, $10 sort: priority | created | due,
-- $11 limit, $12 offset.
-- Index: the planner sees the values (custom plan), so each combination finds its own:
-- bugs_open_priority_idx and bugs_open_due_idx (index-only, any filter on open bugs),
-- bugs_status_created_at_idx, bugs_project_status_idx, bugs_assignee_status_idx,
-- bugs_blocker_idx, bugs_unassigned_idx, bugs_severity_status_idx.
WITH page AS (
    SELECT b.id, b.bug_number, b.priority_score, b.created_at, b.due_at
    FROM bugs b
    WHERE ($1::bug_severity[] IS NULL OR b.severity = ANY ($1))
      AND b.status = ANY ($2::bug_status[])
      AND ($3::uuid IS NULL OR b.project_id = $3)
      AND ($4::uuid IS NULL OR b.assignee_id = $4)
      AND (NOT $5 OR b.assignee_id IS NULL)
      AND (NOT $6 OR b.is_blocker)
      AND (NOT $7 OR (b.status IN ('pending', 'in_progress') AND b.due_at < $9))
      -- at risk: past 75% of the SLA (due_at - sla/4 <= now), not yet past due
      AND (NOT $8 OR (b.status IN ('pending', 'in_progress') AND b.due_at >= $9
                      AND b.due_at - b.sla_hours * interval '15 minutes' <= $9))
    ORDER BY CASE WHEN $10 = 'priority' THEN b.priority_score END DESC,
             CASE WHEN $10 = 'created' THEN b.created_at END DESC,
             CASE WHEN $10 = 'due' THEN b.due_at END ASC,
             b.bug_number
    LIMIT $11 OFFSET $12
)
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
            THEN round((extract(epoch FROM b.due_at - $9) / 3600)::numeric, 2) END AS hours_left,
       CASE WHEN b.status IN ('pending', 'in_progress') AND b.due_at < $9
            THEN round((extract(epoch FROM $9 - b.due_at) / 3600)::numeric, 2) END AS hours_overdue
FROM page
JOIN bugs b ON b.id = page.id
JOIN projects p ON p.id = b.project_id
LEFT JOIN users u ON u.id = b.assignee_id
ORDER BY CASE WHEN $10 = 'priority' THEN page.priority_score END DESC,
         CASE WHEN $10 = 'created' THEN page.created_at END DESC,
         CASE WHEN $10 = 'due' THEN page.due_at END ASC,
         page.bug_number
