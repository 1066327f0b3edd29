-- Answers: a project's daily metrics for the last N days up to the as-of date
-- (ctodb report daily; ctodb project NAME shows 30 days).
-- Parameters: $1 project id, $2 as-of date, $3 number of days.
-- Index: project_metrics_project_id_metric_date_key (range on the date within the project).
SELECT m.metric_date, m.commits, m.lines_added, m.lines_deleted, m.loc_total, m.contributors,
       m.open_pull_requests, m.tech_stack, m.health_score
FROM project_metrics m
WHERE m.project_id = $1
  AND m.metric_date > $2::date - $3::int
  AND m.metric_date <= $2::date
ORDER BY m.metric_date DESC
