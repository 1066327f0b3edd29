-- Answers: the inputs of the engineering metrics over the last N calendar months up to
-- the as-of instant (ctodb report engineering): per severity, the bugs resolved in the
-- window, their summed resolution time in seconds (exact) and how many were resolved
-- within their SLA;
-- and the engineering hours and cost booked for those months. The rates are computed
-- by src/analytics/engineering.rs.
-- Parameters: $1 as-of instant, $2 number of months.
-- Index: bugs_resolved_at_idx (range on resolved_at, index-only: it carries severity,
-- created_at and due_at); monthly_metrics_month_idx.
WITH window_start AS (
    SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') - make_interval(months => $2::int - 1)) AT TIME ZONE 'UTC' AS at
), resolved AS (
    SELECT b.severity,
           count(*) AS bugs_resolved,
           sum(extract(epoch FROM b.resolved_at - b.created_at)) AS resolution_seconds,
           count(*) FILTER (WHERE b.resolved_at <= b.due_at) AS within_sla
    FROM bugs b, window_start w
    WHERE b.resolved_at >= w.at AND b.resolved_at <= $1
    GROUP BY b.severity
), effort AS (
    SELECT coalesce(sum(m.engineering_hours), 0) AS hours, coalesce(sum(m.engineering_cost), 0) AS cost
    FROM monthly_metrics m, window_start w
    WHERE m.month >= (w.at AT TIME ZONE 'UTC')::date AND m.month <= ($1::timestamptz AT TIME ZONE 'UTC')::date
)
SELECT s.severity,
       coalesce(r.bugs_resolved, 0) AS bugs_resolved,
       coalesce(r.resolution_seconds, 0) AS resolution_seconds,
       coalesce(r.within_sla, 0) AS within_sla,
       e.hours AS engineering_hours,
       e.cost AS engineering_cost
FROM unnest(enum_range(NULL::bug_severity)) AS s (severity)
LEFT JOIN resolved r ON r.severity = s.severity
CROSS JOIN effort e
ORDER BY s.severity
