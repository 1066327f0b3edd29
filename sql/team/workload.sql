-- Answers: each person's open work (ctodb report workload): open bugs assigned, by
-- severity, breached, blockers, the revenue at stake, and weekly capacity.
-- Parameters: $1 user e-mail or NULL for everyone, $2 as-of instant.
-- Index: bugs_assignee_status_idx, index-only (it carries every bug column read here;
-- count(b.bug_number), not count(b.*), which would read whole rows).
SELECT u.email, u.name, u.role::text AS role, u.weekly_capacity_hours,
       count(b.bug_number) AS open_bugs,
       count(b.bug_number) FILTER (WHERE b.status = 'in_progress') AS in_progress,
       count(b.bug_number) FILTER (WHERE b.severity = 'critical') AS critical,
       count(b.bug_number) FILTER (WHERE b.severity = 'high') AS high,
       count(b.bug_number) FILTER (WHERE b.due_at < $2) AS breached,
       count(b.bug_number) FILTER (WHERE b.is_blocker) AS blockers,
       coalesce(sum(b.revenue_impact_daily), 0)::numeric(14,2) AS revenue_at_risk_daily
FROM users u
LEFT JOIN bugs b ON b.assignee_id = u.id AND b.status IN ('pending', 'in_progress')
WHERE u.is_active AND ($1::text IS NULL OR u.email = lower($1))
GROUP BY u.id, u.email, u.name, u.role, u.weekly_capacity_hours
ORDER BY open_bugs DESC, u.email
