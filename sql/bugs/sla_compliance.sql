-- Answers: SLA compliance by severity (ctodb report sla): of the resolved bugs, how many
-- were resolved within their SLA; and how many open bugs are breached or at risk now.
-- Parameters: $1 as-of instant.
-- Index: bugs_open_due_idx for the open counts; the resolved bugs are read once.
SELECT s.severity::text AS severity,
       ctodb_default_sla_hours(s.severity) AS sla_hours,
       count(b.*) FILTER (WHERE b.resolved_at IS NOT NULL) AS resolved,
       count(b.*) FILTER (WHERE b.resolved_at IS NOT NULL AND b.resolved_at <= b.due_at) AS resolved_within_sla,
       round(count(b.*) FILTER (WHERE b.resolved_at IS NOT NULL AND b.resolved_at <= b.due_at)::numeric
             / nullif(count(b.*) FILTER (WHERE b.resolved_at IS NOT NULL), 0), 4) AS compliance_rate,
       count(b.*) FILTER (WHERE b.status IN ('pending', 'in_progress') AND b.due_at < $1) AS open_breached,
       count(b.*) FILTER (WHERE b.status IN ('pending', 'in_progress') AND b.due_at >= $1
                           AND $1 - b.created_at >= 0.75 * b.sla_hours * interval '1 hour') AS open_at_risk
FROM unnest(enum_range(NULL::bug_severity)) AS s (severity)
LEFT JOIN bugs b ON b.severity = s.severity
GROUP BY s.severity
ORDER BY s.severity
