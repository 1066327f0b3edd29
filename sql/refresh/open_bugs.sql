-- Answers: the inputs of the priority score for every open bug, with its current score
-- (refresh writes back only the scores that change). Revenue in cents and instants in
-- microseconds: exact integers (extract(epoch) is numeric).
-- Parameters: none.
-- Index: bugs_page_priority_idx (status leads it).
SELECT b.id, b.severity, b.status, b.is_blocker,
       (b.revenue_impact_daily * 100)::bigint AS revenue_cents, b.sla_hours::bigint AS sla_hours,
       (extract(epoch FROM b.created_at) * 1000000)::bigint AS created_at,
       (extract(epoch FROM b.due_at) * 1000000)::bigint AS due_at,
       (extract(epoch FROM b.resolved_at) * 1000000)::bigint AS resolved_at,
       b.priority_score
FROM bugs b
WHERE b.status IN ('pending', 'in_progress')
