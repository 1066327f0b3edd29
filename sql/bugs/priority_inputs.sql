-- Answers: the inputs of one bug's priority score (ctodb bug show N prints the score term
-- by term). Revenue in cents and instants in microseconds: exact integers.
-- Parameters: $1 bug number. Index: bugs_bug_number_key.
SELECT b.severity, b.status, b.is_blocker,
       (b.revenue_impact_daily * 100)::bigint AS revenue_cents, b.sla_hours::bigint AS sla_hours,
       (extract(epoch FROM b.created_at) * 1000000)::bigint AS created_at,
       (extract(epoch FROM b.due_at) * 1000000)::bigint AS due_at,
       (extract(epoch FROM b.resolved_at) * 1000000)::bigint AS resolved_at
FROM bugs b
WHERE b.bug_number = $1
