-- Answers: the inputs of the engineering metrics over the last N calendar months up to
-- the as-of instant (ctodb report engineering): per severity, the bugs resolved in the
-- window, their summed resolution time in seconds (exact) and how many were resolved
-- within their SLA;
-- and the engineering hours and cost booked for those months. The rates are computed
-- by src/analytics/engineering.rs.
-- Parameters: $1 as-of instant, $2 number of months.
-- Index: the ctodb.bug_resolutions roll-up (primary key range on day) for the whole days
-- before the as-of day; bugs_resolved_at_idx (index-only: it carries severity, created_at
-- and due_at) for the as-of day up to the as-of instant; monthly_metrics_month_idx.
-- tests/rollups.rs proves the sums equal the same figures counted from bugs.
WITH window_start AS (
    SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') - make_interval(months => $2::int - 1)) AT TIME ZONE 'UTC' AS at,
           date_trunc('day', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS today
), resolved AS (
    SELECT parts.severity,
           sum(parts.resolved)::bigint AS bugs_resolved,
           sum(parts.resolution_seconds) AS resolution_seconds,
           sum(parts.within_sla)::bigint AS within_sla
    FROM (
        SELECT r.severity, r.resolved, r.resolution_seconds, r.within_sla
        FROM bug_resolutions r, window_start w
        WHERE r.day >= (w.at AT TIME ZONE 'UTC')::date AND r.day < (w.today AT TIME ZONE 'UTC')::date
        UNION ALL
        SELECT b.severity, 1, extract(epoch FROM b.resolved_at - b.created_at),
               CASE WHEN b.resolved_at <= b.due_at THEN 1 ELSE 0 END
        FROM bugs b, window_start w
        WHERE b.resolved_at >= w.today AND b.resolved_at <= $1
    ) parts
    GROUP BY parts.severity
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
