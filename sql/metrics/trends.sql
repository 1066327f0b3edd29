-- Answers: the inputs of the monthly trends (ctodb report trends), for each of the last N
-- calendar months up to the as-of month (UTC), months without activity included: bugs
-- opened and resolved that month, the summed resolution hours of the bugs resolved that
-- month in seconds (exact), and engineering hours and cost. One project, or the whole
-- portfolio. Read from monthly_metrics, which seed and refresh roll up from the bugs
-- (resolution_seconds keeps the exact sum, so months and projects pool exactly). The
-- rates, means and changes are computed by src/analytics/trends.rs.
-- Parameters: $1 project id or NULL, $2 as-of instant, $3 number of months.
-- Index: monthly_metrics_project_id_month_key with a project, monthly_metrics_month_idx without.
WITH months AS (
    SELECT generate_series(
               date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') - make_interval(months => $3::int - 1),
               date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'),
               interval '1 month')::date AS month
), rolled AS (
    SELECT m.month,
           sum(m.bugs_opened) AS opened,
           sum(m.bugs_resolved) AS resolved,
           sum(m.resolution_seconds) AS resolution_seconds,
           sum(m.engineering_hours) AS engineering_hours,
           sum(m.engineering_cost) AS engineering_cost
    FROM monthly_metrics m
    WHERE m.month >= (SELECT min(month) FROM months)
      AND m.month <= (SELECT max(month) FROM months)
      AND ($1::uuid IS NULL OR m.project_id = $1)
    GROUP BY m.month
)
SELECT months.month,
       coalesce(rolled.opened, 0)::bigint AS bugs_opened,
       coalesce(rolled.resolved, 0)::bigint AS bugs_resolved,
       coalesce(rolled.resolution_seconds, 0) AS resolution_seconds,
       coalesce(rolled.engineering_hours, 0) AS engineering_hours,
       coalesce(rolled.engineering_cost, 0) AS engineering_cost
FROM months
LEFT JOIN rolled USING (month)
ORDER BY months.month
