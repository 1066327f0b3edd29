-- Answers: SLA compliance by severity (ctodb report sla): of the resolved bugs, how many
-- were resolved within their SLA; and how many open bugs are breached or at risk now
-- (at risk: past 75% of the SLA, i.e. due_at - sla_hours/4 <= now, not yet past due).
-- Parameters: $1 as-of instant.
-- Index: resolved counts from the ctodb.bug_counts summary; open counts index-only on
-- bugs_open_due_idx (due_at, severity) INCLUDE (sla_hours).
WITH resolved AS (
    SELECT severity,
           sum(bugs) AS resolved,
           sum(bugs) - sum(resolved_late) AS within_sla
    FROM bug_counts
    WHERE status IN ('verified', 'shipped', 'closed')
    GROUP BY severity
), open_now AS (
    SELECT severity,
           count(*) FILTER (WHERE due_at < $1) AS breached,
           count(*) FILTER (WHERE due_at >= $1 AND due_at - sla_hours * interval '15 minutes' <= $1) AS at_risk
    FROM bugs
    WHERE status IN ('pending', 'in_progress')
    GROUP BY severity
)
SELECT r.severity::text AS severity,
       ctodb_default_sla_hours(r.severity) AS sla_hours,
       r.resolved::bigint AS resolved,
       r.within_sla::bigint AS resolved_within_sla,
       ctodb_round_ratio(r.within_sla, r.resolved, 4)::numeric(6,4) AS compliance_rate,
       coalesce(o.breached, 0) AS open_breached,
       coalesce(o.at_risk, 0) AS open_at_risk
FROM resolved r
LEFT JOIN open_now o USING (severity)
ORDER BY r.severity
