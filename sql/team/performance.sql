-- Answers: what each person resolved in the last N days (ctodb report team): bugs
-- resolved, mean resolution hours, share within SLA, and changes they recorded.
-- Parameters: $1 number of days, $2 as-of instant. The window is (as-of - N days, as-of].
-- How: the whole UTC days inside the window come from the ctodb.assignee_resolutions
-- roll-up (kept exact by triggers; a year at xl is 830,000 bugs against 175,000 roll-up
-- rows); the partial days at its two ends from the bugs themselves. tests/rollups.rs
-- proves the result equal to counting the bugs.
-- Index: the roll-up's primary key (range on day); bugs_resolved_at_idx for the two ends;
-- bug_history_changed_by_idx.
WITH parts AS (
    -- the window is (since, until]; its first whole UTC day starts at lo, its last partial
    -- day at hi (written out in each branch, so that the planner sees the ranges)
    SELECT r.assignee_id, r.resolved, r.resolution_seconds, r.within_sla
    FROM assignee_resolutions r
    WHERE r.day >= (($2::timestamptz - make_interval(days => $1::int)) AT TIME ZONE 'UTC')::date + 1
      AND r.day < ($2::timestamptz AT TIME ZONE 'UTC')::date
    UNION ALL
    -- resolved_at is set exactly on resolved bugs (the bugs_defaults trigger); the two
    -- ranges are disjoint and, with the whole days, cover the window once
    SELECT b.assignee_id, 1, extract(epoch FROM b.resolved_at - b.created_at),
           CASE WHEN b.resolved_at <= b.due_at THEN 1 ELSE 0 END
    FROM bugs b
    WHERE b.resolved_at > $2::timestamptz - make_interval(days => $1::int)
      AND b.resolved_at <= $2
      -- before lo
      AND b.resolved_at < (date_trunc('day', ($2::timestamptz - make_interval(days => $1::int)) AT TIME ZONE 'UTC')
                           + interval '1 day') AT TIME ZONE 'UTC'
      AND b.assignee_id IS NOT NULL
    UNION ALL
    SELECT b.assignee_id, 1, extract(epoch FROM b.resolved_at - b.created_at),
           CASE WHEN b.resolved_at <= b.due_at THEN 1 ELSE 0 END
    FROM bugs b
    WHERE b.resolved_at > $2::timestamptz - make_interval(days => $1::int)
      AND b.resolved_at <= $2
      -- from the later of lo and hi
      AND b.resolved_at >= greatest(
              (date_trunc('day', ($2::timestamptz - make_interval(days => $1::int)) AT TIME ZONE 'UTC')
               + interval '1 day') AT TIME ZONE 'UTC',
              date_trunc('day', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
      AND b.assignee_id IS NOT NULL
), per_person AS (
    SELECT parts.assignee_id,
           sum(parts.resolved) AS resolved,
           sum(parts.resolution_seconds) AS resolution_seconds,
           sum(parts.within_sla) AS within_sla
    FROM parts
    GROUP BY parts.assignee_id
)
SELECT u.email, u.name, u.role::text AS role,
       coalesce(r.resolved, 0)::bigint AS resolved,
       ctodb_round_ratio(r.resolution_seconds, r.resolved * 3600, 2)::numeric(12,2) AS mean_resolution_hours,
       ctodb_round_ratio(r.within_sla, r.resolved, 4)::numeric(6,4) AS within_sla_rate,
       coalesce(h.changes, 0) AS changes
FROM users u
LEFT JOIN per_person r ON r.assignee_id = u.id AND r.resolved > 0
LEFT JOIN LATERAL (
    SELECT count(*) AS changes
    FROM bug_history h
    WHERE h.changed_by = u.id
      AND h.changed_at > $2::timestamptz - make_interval(days => $1::int) AND h.changed_at <= $2
) h ON true
WHERE u.is_active
ORDER BY resolved DESC, u.email
