-- Answers: bugs opened in each of the 12 months up to the as-of month, oldest first, for
-- the projects of a page (ctodb projects on a terminal: the sparkline column).
-- Parameters: $1 project names (text[]), $2 as-of instant.
-- Index: projects_name_key; monthly_metrics_project_id_month_key (12 lookups a project).
SELECT p.name, array_agg(coalesce(m.bugs_opened, 0)::bigint ORDER BY s.month) AS opened
FROM projects p
CROSS JOIN generate_series(
    date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC') - interval '11 months',
    date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC'),
    interval '1 month'
) AS s (month)
LEFT JOIN monthly_metrics m ON m.project_id = p.id AND m.month = s.month::date
WHERE p.name = ANY ($1)
GROUP BY p.name
