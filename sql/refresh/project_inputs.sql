-- Answers: the inputs of valuation, ROI and health for every project: its financials,
-- engineering cost of the 12 calendar months before the as-of month, open critical,
-- open breached and open bug counts, and whether it had a commit in the 14 days up to
-- the as-of date (UTC).
-- Parameters: $1 as-of instant.
-- Index: monthly_metrics_project_id_month_key, bugs_project_status_idx,
-- project_metrics_project_id_metric_date_key.
WITH window_start AS (
    SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') - interval '12 months')::date AS first_month,
           date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC')::date AS this_month,
           ($1::timestamptz AT TIME ZONE 'UTC')::date AS today
), engineering AS (
    SELECT m.project_id, sum(m.engineering_cost) AS cost
    FROM monthly_metrics m, window_start w
    WHERE m.month >= w.first_month AND m.month < w.this_month
    GROUP BY m.project_id
), open_bugs AS (
    SELECT b.project_id,
           count(*) AS open_bugs,
           count(*) FILTER (WHERE b.severity = 'critical') AS open_critical,
           count(*) FILTER (WHERE b.due_at < $1) AS open_breached
    FROM bugs b
    WHERE b.status IN ('pending', 'in_progress')
    GROUP BY b.project_id
), active AS (
    SELECT DISTINCT m.project_id
    FROM project_metrics m, window_start w
    WHERE m.metric_date > w.today - 14 AND m.metric_date <= w.today AND m.commits > 0
)
SELECT p.id, p.name,
       p.arr, p.revenue_growth_rate, p.operating_margin, p.discount_rate, p.terminal_growth_rate,
       p.monthly_infra_cost, p.complexity_score::bigint AS complexity_score, p.appeal_score,
       coalesce(e.cost, 0) AS engineering_cost_12m,
       coalesce(o.open_bugs, 0) AS open_bugs,
       coalesce(o.open_critical, 0) AS open_critical,
       coalesce(o.open_breached, 0) AS open_breached,
       (a.project_id IS NOT NULL) AS recent_commits
FROM projects p
LEFT JOIN engineering e ON e.project_id = p.id
LEFT JOIN open_bugs o ON o.project_id = p.id
LEFT JOIN active a ON a.project_id = p.id
ORDER BY p.name
