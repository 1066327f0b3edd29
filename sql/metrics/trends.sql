-- Answers: the inputs of the monthly trends (ctodb report trends), for each of the last N
-- calendar months up to the as-of month (UTC), months without activity included: bugs
-- opened and resolved that month, the summed resolution hours of the bugs resolved that
-- month, and engineering hours and cost. One project, or the whole portfolio.
-- Parameters: $1 project id or NULL, $2 as-of instant, $3 number of months.
-- Index: bugs_created_at_idx and bugs_resolved_at_idx (ranges on the window);
-- bugs_project_status_idx with a project; monthly_metrics_month_idx.
WITH months AS (
    SELECT generate_series(
               date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') - make_interval(months => $3::int - 1),
               date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'),
               interval '1 month')::date AS month
), opened AS (
    SELECT date_trunc('month', b.created_at AT TIME ZONE 'UTC')::date AS month, count(*) AS n
    FROM bugs b
    WHERE b.created_at >= (SELECT min(month) FROM months)::timestamp AT TIME ZONE 'UTC'
      AND b.created_at <= $2
      AND ($1::uuid IS NULL OR b.project_id = $1)
    GROUP BY 1
), resolved AS (
    SELECT date_trunc('month', b.resolved_at AT TIME ZONE 'UTC')::date AS month, count(*) AS n,
           sum(extract(epoch FROM b.resolved_at - b.created_at) / 3600) AS hours
    FROM bugs b
    WHERE b.resolved_at >= (SELECT min(month) FROM months)::timestamp AT TIME ZONE 'UTC'
      AND b.resolved_at <= $2
      AND ($1::uuid IS NULL OR b.project_id = $1)
    GROUP BY 1
), effort AS (
    SELECT m.month, sum(m.engineering_hours) AS hours, sum(m.engineering_cost) AS cost
    FROM monthly_metrics m
    WHERE m.month >= (SELECT min(month) FROM months)
      AND ($1::uuid IS NULL OR m.project_id = $1)
    GROUP BY 1
)
SELECT to_char(months.month, 'YYYY-MM-DD') AS month,
       coalesce(opened.n, 0) AS bugs_opened,
       coalesce(resolved.n, 0) AS bugs_resolved,
       coalesce(resolved.hours, 0)::float8 AS resolution_hours_sum,
       coalesce(effort.hours, 0)::float8 AS engineering_hours,
       coalesce(effort.cost, 0)::float8 AS engineering_cost
FROM months
LEFT JOIN opened USING (month)
LEFT JOIN resolved USING (month)
LEFT JOIN effort USING (month)
ORDER BY months.month
