-- Answers: bug counts by severity x status, open and resolved, and the SLA breach rate
-- among bugs under an SLA (open or resolved; deferred excluded) at the as-of instant
-- (ctodb report bugs).
-- Parameters: $1 as-of instant.
-- Index: bugs_severity_status_idx (index-only) for the counts.
SELECT s.severity::text AS severity,
       count(b.*) FILTER (WHERE b.status = 'pending') AS pending,
       count(b.*) FILTER (WHERE b.status = 'in_progress') AS in_progress,
       count(b.*) FILTER (WHERE b.status = 'verified') AS verified,
       count(b.*) FILTER (WHERE b.status = 'shipped') AS shipped,
       count(b.*) FILTER (WHERE b.status = 'closed') AS closed,
       count(b.*) FILTER (WHERE b.status = 'deferred') AS deferred,
       count(b.*) AS total,
       count(b.*) FILTER (WHERE b.status IN ('pending', 'in_progress')) AS open,
       count(b.*) FILTER (WHERE b.status IN ('verified', 'shipped', 'closed')) AS resolved,
       count(b.*) FILTER (WHERE ctodb_sla_state(b.status, b.created_at, b.due_at, b.sla_hours, b.resolved_at, $1) = 'breached') AS breached,
       round(count(b.*) FILTER (WHERE ctodb_sla_state(b.status, b.created_at, b.due_at, b.sla_hours, b.resolved_at, $1) = 'breached')::numeric
             / nullif(count(b.*) FILTER (WHERE b.status <> 'deferred'), 0), 4) AS breach_rate
FROM unnest(enum_range(NULL::bug_severity)) AS s (severity)
LEFT JOIN bugs b ON b.severity = s.severity
GROUP BY s.severity
ORDER BY s.severity
