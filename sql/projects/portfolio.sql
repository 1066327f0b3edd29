-- Answers: the Monday-morning overview (ctodb report portfolio): projects by status,
-- total ARR, valuation and infra cost, open, critical, breached and at-risk bugs.
-- Parameters: $1 as-of instant.
-- How: one pass over projects for every project figure (at 100,000 projects eight
-- separate scans took 160 ms); the open and critical counts from ctodb.bug_counts, the
-- summary the bugs triggers keep exact; only the counts that depend on the as-of instant
-- read the bugs, index-only on the partial indexes of open bugs (bugs_open_due_idx).
WITH p AS (
    SELECT count(*) AS projects,
           count(*) FILTER (WHERE status = 'active') AS active,
           count(*) FILTER (WHERE status = 'shipped') AS shipped,
           count(*) FILTER (WHERE status = 'deferred') AS deferred,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           coalesce(sum(arr), 0)::numeric(18,2) AS total_arr,
           sum(dcf_valuation) AS total_valuation,
           coalesce(sum(monthly_infra_cost), 0)::numeric(16,2) AS total_monthly_infra_cost
    FROM projects
), c AS (
    SELECT coalesce(sum(bugs) FILTER (WHERE status IN ('pending', 'in_progress')), 0)::bigint AS open_bugs,
           coalesce(sum(bugs) FILTER (WHERE status IN ('pending', 'in_progress') AND severity = 'critical'), 0)::bigint
               AS critical_open_bugs
    FROM bug_counts
)
SELECT p.projects, p.active, p.shipped, p.deferred, p.cancelled,
       p.total_arr, p.total_valuation, p.total_monthly_infra_cost,
       c.open_bugs, c.critical_open_bugs,
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at < $1) AS sla_breaches,
       -- past 75% of the SLA: due_at - sla_hours/4 <= now (index-only on bugs_open_due_idx),
       -- so due within a quarter of the longest open SLA (bugs_open_sla_idx, one entry):
       -- the range read is the bugs due that soon, not every open bug due later
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at >= $1
           AND due_at <= $1 + (SELECT max(sla_hours) FROM bugs WHERE status IN ('pending', 'in_progress'))
                              * interval '15 minutes'
           AND due_at - sla_hours * interval '15 minutes' <= $1) AS at_risk_bugs,
       (SELECT count(*) FROM users WHERE is_active) AS active_users
FROM p, c
