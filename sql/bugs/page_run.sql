-- One run of bugs/page_merge.sql (not a statement by itself): the bugs of one status and
-- one severity that match the filters, in the order asked, at most limit + offset of
-- them. '@status' and '@severity' stand for the pair: ctodb writes this run once for
-- each pair of labels of bug_status and bug_severity that the filters ask for
-- (bugs_page_merge in src/sql.rs). The run also checks its pair against $1 and $2, so a
-- pair that was not asked for folds to a constant false and reads nothing. Comment
-- lines are left out of each copy.
-- Parameters: those of bugs/page_merge.sql.
-- Index: bugs_page_priority_idx, bugs_page_created_idx or bugs_page_due_idx (status,
-- severity, sort key); with a filter, that filter's index of the same shape:
-- bugs_project_status_idx / _due_idx / _created_idx, bugs_unassigned_idx / _page_due_idx /
-- _page_created_idx, bugs_blocker_idx / _page_due_idx / _page_created_idx; for one person
-- bugs_assignee_status_idx (gathered) or bugs_assignee_due_idx / _created_idx (walked);
-- at-risk runs a range of bugs_page_due_idx up to the horizon ($13); index-only.
(SELECT b.bug_number, b.priority_score, b.created_at, b.due_at
 FROM bugs b
 WHERE b.status = '@status'
   AND b.severity = '@severity'
   AND '@status' = ANY (ctodb_bug_statuses($2::text[]))
   AND ($1::text[] IS NULL OR '@severity' = ANY (ctodb_bug_severities($1)))
   AND ($3::uuid IS NULL OR b.project_id = $3)
   AND ($4::uuid IS NULL OR b.assignee_id = $4)
   AND (NOT $5::boolean OR b.assignee_id IS NULL)
   AND (NOT $6::boolean OR b.is_blocker)
   AND (NOT $7::boolean OR ('@status' IN ('pending', 'in_progress') AND b.due_at < $9::timestamptz))
   AND (NOT $8::boolean OR ('@status' IN ('pending', 'in_progress') AND b.due_at >= $9
                            AND b.due_at - b.sla_hours * interval '15 minutes' <= $9
                            AND b.due_at <= $9 + $13::integer * interval '15 minutes'))
 ORDER BY CASE WHEN $12::text = 'priority' THEN b.priority_score END DESC,
          CASE WHEN $12 = 'created' THEN b.created_at END DESC,
          CASE WHEN $12 = 'due' THEN b.due_at END,
          b.bug_number
 LIMIT $10::bigint + $11::bigint)
