-- Answers: monthly metrics for the last N months up to the as-of month, for one project
-- or summed across the portfolio (ctodb report monthly).
-- Parameters: $1 project id or NULL for all, $2 as-of date, $3 number of months.
-- Index: monthly_metrics_project_id_month_key with a project, monthly_metrics_month_idx without.
SELECT m.month,
       sum(m.bugs_opened)::bigint AS bugs_opened,
       sum(m.bugs_resolved)::bigint AS bugs_resolved,
       sum(m.critical_bugs)::bigint AS critical_bugs,
       sum(m.high_bugs)::bigint AS high_bugs,
       sum(m.medium_bugs)::bigint AS medium_bugs,
       sum(m.low_bugs)::bigint AS low_bugs,
       sum(m.sla_breaches)::bigint AS sla_breaches,
       ctodb_round_ratio(sum(m.resolution_seconds), sum(m.bugs_resolved) * 3600, 2)::numeric(12,2) AS avg_resolution_hours,
       ctodb_round_ratio(sum(m.bugs_resolved), sum(m.bugs_opened), 4)::numeric(12,4) AS resolution_rate,
       sum(m.engineering_hours) AS engineering_hours,
       sum(m.engineering_cost) AS engineering_cost
FROM monthly_metrics m
WHERE ($1::uuid IS NULL OR m.project_id = $1)
  AND m.month > (date_trunc('month', $2::date) - make_interval(months => $3::int))::date
  AND m.month <= $2::date
GROUP BY m.month
ORDER BY m.month DESC
