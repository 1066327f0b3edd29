-- Answers: what each person resolved in the last N days (ctodb report team): bugs
-- resolved, mean resolution hours, share within SLA, and changes they recorded.
-- Parameters: $1 number of days, $2 as-of instant.
-- Index: bugs_assignee_resolved_idx (index-only); bug_history_changed_by_idx.
SELECT u.email, u.name, u.role::text AS role,
       coalesce(r.resolved, 0) AS resolved,
       r.mean_resolution_hours,
       r.within_sla_rate,
       coalesce(h.changes, 0) AS changes
FROM users u
LEFT JOIN LATERAL (
    SELECT count(*) AS resolved,
           ctodb_round_ratio(sum(extract(epoch FROM b.resolved_at - b.created_at)), count(*) * 3600, 2) AS mean_resolution_hours,
           ctodb_round_ratio(count(*) FILTER (WHERE b.resolved_at <= b.due_at), count(*), 4) AS within_sla_rate
    FROM bugs b
    -- resolved_at is set exactly on resolved bugs (the bugs_defaults trigger)
    WHERE b.assignee_id = u.id
      AND b.resolved_at > $2::timestamptz - make_interval(days => $1::int) AND b.resolved_at <= $2
) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS changes
    FROM bug_history h
    WHERE h.changed_by = u.id
      AND h.changed_at > $2::timestamptz - make_interval(days => $1::int) AND h.changed_at <= $2
) h ON true
WHERE u.is_active
ORDER BY resolved DESC, u.email
