-- Answers: how many bugs match the filters of bugs/list (the "rows X–Y of Z" footer).
-- Parameters: $1..$9 as in bugs/list.sql.
-- Index: as bugs/list; index-only where the filters allow.
SELECT count(*)
FROM bugs b
WHERE ($1::bug_severity[] IS NULL OR b.severity = ANY ($1))
  AND b.status = ANY ($2::bug_status[])
  AND ($3::uuid IS NULL OR b.project_id = $3)
  AND ($4::uuid IS NULL OR b.assignee_id = $4)
  AND (NOT $5 OR b.assignee_id IS NULL)
  AND (NOT $6 OR b.is_blocker)
  AND (NOT $7 OR (b.status IN ('pending', 'in_progress') AND b.due_at < $9))
  -- at risk: past 75% of the SLA (due_at - sla/4 <= now), not yet past due
  AND (NOT $8 OR (b.status IN ('pending', 'in_progress') AND b.due_at >= $9
                  AND b.due_at - b.sla_hours * interval '15 minutes' <= $9))
