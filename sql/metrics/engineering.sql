-- Answers: engineering efficiency over the last N months (ctodb report engineering):
-- per severity, bugs resolved, mean resolution hours and SLA compliance; overall, bugs
-- resolved per 100 engineering hours and cost per resolved bug.
-- Parameters: $1 as-of instant, $2 number of months.
-- Index: bugs_resolved_at_idx (range on resolved_at); monthly_metrics_month_idx.
WITH window_start AS (
    SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') - make_interval(months => $2::int - 1)) AT TIME ZONE 'UTC' AS at
), resolved AS (
    SELECT b.severity, b.resolved_at - b.created_at AS took, b.resolved_at <= b.due_at AS within_sla
    FROM bugs b, window_start w
    WHERE b.resolved_at >= w.at AND b.resolved_at <= $1
), effort AS (
    SELECT sum(m.engineering_hours) AS hours, sum(m.engineering_cost) AS cost
    FROM monthly_metrics m, window_start w
    WHERE m.month >= (w.at AT TIME ZONE 'UTC')::date AND m.month <= ($1::timestamptz AT TIME ZONE 'UTC')::date
)
SELECT coalesce(r.severity::text, 'all') AS severity,
       count(*) AS bugs_resolved,
       round((avg(extract(epoch FROM r.took)) / 3600)::numeric, 2) AS mean_resolution_hours,
       round(avg(r.within_sla::int)::numeric, 4) AS sla_compliance,
       CASE WHEN r.severity IS NULL THEN round(100 * count(*) / nullif(max(e.hours), 0), 2) END AS resolved_per_100_hours,
       CASE WHEN r.severity IS NULL THEN round(max(e.cost) / nullif(count(*), 0), 2) END AS cost_per_resolved_bug,
       CASE WHEN r.severity IS NULL THEN max(e.hours) END AS engineering_hours,
       CASE WHEN r.severity IS NULL THEN max(e.cost) END AS engineering_cost
FROM resolved r, effort e
GROUP BY ROLLUP (r.severity)
ORDER BY r.severity NULLS LAST
