-- Answers: bug counts by severity x status, open and resolved, and the SLA breach rate
-- among bugs under an SLA (open or resolved; deferred excluded) at the as-of instant
-- (ctodb report bugs).
-- Parameters: $1 as-of instant.
-- Index: none for the counts: they come from ctodb.bug_counts, the summary the bugs
-- triggers keep exact; open bugs past due are counted index-only on bugs_open_due_idx.
WITH counts AS (
    SELECT severity,
           sum(bugs) FILTER (WHERE status = 'pending') AS pending,
           sum(bugs) FILTER (WHERE status = 'in_progress') AS in_progress,
           sum(bugs) FILTER (WHERE status = 'verified') AS verified,
           sum(bugs) FILTER (WHERE status = 'shipped') AS shipped,
           sum(bugs) FILTER (WHERE status = 'closed') AS closed,
           sum(bugs) FILTER (WHERE status = 'deferred') AS deferred,
           sum(bugs) AS total,
           sum(bugs) FILTER (WHERE status IN ('pending', 'in_progress')) AS open,
           sum(bugs) FILTER (WHERE status IN ('verified', 'shipped', 'closed')) AS resolved,
           sum(resolved_late) AS resolved_late
    FROM bug_counts
    GROUP BY severity
), open_breached AS (
    SELECT severity, count(*) AS n
    FROM bugs
    WHERE status IN ('pending', 'in_progress') AND due_at < $1
    GROUP BY severity
)
SELECT c.severity::text AS severity,
       c.pending::bigint, c.in_progress::bigint, c.verified::bigint, c.shipped::bigint,
       c.closed::bigint, c.deferred::bigint, c.total::bigint, c.open::bigint, c.resolved::bigint,
       (c.resolved_late + coalesce(o.n, 0))::bigint AS breached,
       ctodb_round_ratio(c.resolved_late + coalesce(o.n, 0), c.total - c.deferred, 4)::numeric(6,4) AS breach_rate
FROM counts c
LEFT JOIN open_breached o USING (severity)
ORDER BY c.severity
