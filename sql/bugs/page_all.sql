-- Answers: one page of bugs of every status and severity, in the order asked (ctodb bugs
-- --all, alone or with --project, --assignee, --blocker or --unassigned). Followed by
-- bugs/page_rows.sql.
-- How: one walk down the index of the sort key, stopping at limit + offset matches; the
-- merge of bugs/page_runs would read 24 runs of that many. For a rare filter the planner
-- may gather its bugs from the filter's index and sort them instead.
-- Parameters: $1..$13 as in bugs/page_runs.sql (unset filters fold away).
-- Index: bugs_priority_idx, bugs_created_at_idx or bugs_due_idx (the CASE of the unused
-- sorts folds to a constant, which the planner drops from the order); with one person,
-- unassigned bugs or blockers that filter's walk (bugs_assignee_due_idx / _created_idx,
-- bugs_unassigned_priority_idx / _due_idx / _created_idx, bugs_blocker_priority_idx /
-- _due_idx / _created_idx); for a project bugs_project_status_idx.
WITH page AS (
    SELECT chosen.bug_number, row_number() OVER () AS rank
    FROM (
        SELECT b.bug_number
        FROM bugs b
        WHERE ($1::text[] IS NULL OR b.severity = ANY (ctodb_bug_severities($1)))
          -- every status (how ctodb chooses this helper) folds away, leaving the walk
          -- index-only: the status is in no index of a sort key alone
          AND ($2::text[] @> '{pending,in_progress,verified,shipped,closed,deferred}'::text[]
               OR b.status = ANY (ctodb_bug_statuses($2)))
          AND ($3::uuid IS NULL OR b.project_id = $3)
          AND ($4::uuid IS NULL OR b.assignee_id = $4)
          AND (NOT $5 OR b.assignee_id IS NULL)
          AND (NOT $6 OR b.is_blocker)
          AND (NOT $7 OR (b.status IN ('pending', 'in_progress') AND b.due_at < $9))
          AND (NOT $8 OR (b.status IN ('pending', 'in_progress') AND b.due_at >= $9
                          AND b.due_at - b.sla_hours * interval '15 minutes' <= $9
                          AND b.due_at <= $9 + $13::integer * interval '15 minutes'))
        ORDER BY CASE WHEN $12::text = 'priority' THEN b.priority_score END DESC,
                 CASE WHEN $12 = 'created' THEN b.created_at END DESC,
                 CASE WHEN $12 = 'due' THEN b.due_at END,
                 b.bug_number
        LIMIT $10::bigint OFFSET $11::bigint
    ) chosen
)
