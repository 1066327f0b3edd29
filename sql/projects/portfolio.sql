-- Answers: the Monday-morning overview (ctodb report portfolio): projects by status,
-- total ARR, valuation and infra cost, open, critical, breached and at-risk bugs.
-- Parameters: $1 as-of instant.
-- Index: the partial indexes on open bugs (bugs_open_due_idx, bugs_open_severity_due_idx)
-- give index-only counts; projects is small.
SELECT (SELECT count(*) FROM projects) AS projects,
       (SELECT count(*) FROM projects WHERE status = 'active') AS active,
       (SELECT count(*) FROM projects WHERE status = 'shipped') AS shipped,
       (SELECT count(*) FROM projects WHERE status = 'deferred') AS deferred,
       (SELECT count(*) FROM projects WHERE status = 'cancelled') AS cancelled,
       (SELECT coalesce(sum(arr), 0)::numeric(18,2) FROM projects) AS total_arr,
       (SELECT sum(dcf_valuation) FROM projects) AS total_valuation,
       (SELECT coalesce(sum(monthly_infra_cost), 0)::numeric(16,2) FROM projects) AS total_monthly_infra_cost,
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress')) AS open_bugs,
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND severity = 'critical') AS critical_open_bugs,
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at < $1) AS sla_breaches,
       -- past 75% of the SLA: due_at - sla_hours/4 <= now (index-only on bugs_open_due_idx)
       (SELECT count(*) FROM bugs WHERE status IN ('pending', 'in_progress') AND due_at >= $1
           AND due_at - sla_hours * interval '15 minutes' <= $1) AS at_risk_bugs,
       (SELECT count(*) FROM users WHERE is_active) AS active_users
