-- Answers: how many bugs match the filters of bugs/page_runs (the "rows X–Y of Z" footer)
-- when more than severity and status filter them (bugs/count_summary answers those).
-- Parameters: $1..$9 as in bugs/page_runs.sql, $10 as its $13 (the at-risk horizon).
-- Index: the most selective filter's: bugs_project_status_idx, bugs_assignee_status_idx,
-- bugs_blocker_idx, bugs_unassigned_idx, or bugs_open_due_idx for breached and at-risk
-- bugs; index-only.
SELECT count(*) AS total
FROM bugs b
WHERE ($1::text[] IS NULL OR b.severity = ANY (ctodb_bug_severities($1)))
  AND b.status = ANY (ctodb_bug_statuses($2))
  AND ($3::uuid IS NULL OR b.project_id = $3)
  AND ($4::uuid IS NULL OR b.assignee_id = $4)
  AND (NOT $5 OR b.assignee_id IS NULL)
  AND (NOT $6 OR b.is_blocker)
  AND (NOT $7 OR (b.status IN ('pending', 'in_progress') AND b.due_at < $9))
  -- at risk: past 75% of the SLA (due_at - sla/4 <= now), not yet past due
  AND (NOT $8 OR (b.status IN ('pending', 'in_progress') AND b.due_at >= $9
                  AND b.due_at - b.sla_hours * interval '15 minutes' <= $9
                  -- the same bound as the pages' (bugs/open_sla_max.sql)
                  AND b.due_at <= $9 + $10::integer * interval '15 minutes'))
