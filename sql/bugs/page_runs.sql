-- Answers: which bugs match the filters, one page, in the order asked (ctodb bugs; the
-- open bugs of ctodb project; the lists of report sla). Followed by bugs/page_rows.sql,
-- which reads the rows of the page.
-- How: one run per (status, severity) pair asked for, each the first limit + offset
-- matching bugs of that pair in the order asked; the page is cut from their merge. A run
-- never reads past limit + offset matches, so the cost does not grow with the table.
-- The sort is a bound value: the CASE of each unused sort folds to a constant, which the
-- planner drops, so each run is ordered by one index's key. That needs a plan made for
-- the values (a custom plan), which is what ctodb gets: it prepares every statement
-- afresh and runs it once.
-- Parameters: $1 severities (text[] or NULL for all), $2 statuses (text[]), $3 project id
-- or NULL, $4 assignee id or NULL, $5 only unassigned, $6 only blockers, $7 only breached
-- (open and past due), $8 only at risk (open, past 75% of the SLA, not past due), $9 as-of
-- instant, $10 limit, $11 offset, $12 sort: priority (highest first) | created (newest
-- first) | due (earliest due instant first, so most overdue first), $13 the at-risk
-- horizon: the longest SLA in hours of any open bug (bugs/open_sla_max.sql; an at-risk
-- bug is due within a quarter of it, so the at-risk runs read only bugs due that soon),
-- NULL unless $8.
-- Index: bugs_page_priority_idx, bugs_page_created_idx or bugs_page_due_idx, one
-- index-only run per pair; with a filter, that filter's index of the same shape, as
-- listed in bugs/page_run.sql.
WITH page AS (
    SELECT chosen.bug_number,
           row_number() OVER (ORDER BY CASE WHEN $12::text = 'priority' THEN chosen.priority_score END DESC,
                                       CASE WHEN $12 = 'created' THEN chosen.created_at END DESC,
                                       CASE WHEN $12 = 'due' THEN chosen.due_at END,
                                       chosen.bug_number) AS rank
    FROM (
        SELECT run.bug_number, run.priority_score, run.created_at, run.due_at
        -- DISTINCT: a status or severity given twice must not run (and list its bugs) twice
        FROM (SELECT DISTINCT unnest(ctodb_bug_statuses($2))) AS st (status)
        CROSS JOIN (SELECT DISTINCT unnest(coalesce(ctodb_bug_severities($1), enum_range(NULL::bug_severity))))
            AS sv (severity)
        CROSS JOIN LATERAL (
            SELECT b.bug_number, b.priority_score, b.created_at, b.due_at
            FROM bugs b
            WHERE b.status = st.status
              AND b.severity = sv.severity
              AND ($3::uuid IS NULL OR b.project_id = $3)
              AND ($4::uuid IS NULL OR b.assignee_id = $4)
              AND (NOT $5 OR b.assignee_id IS NULL)
              AND (NOT $6 OR b.is_blocker)
              AND (NOT $7 OR b.due_at < $9)
              AND (NOT $8 OR (b.due_at >= $9 AND b.due_at - b.sla_hours * interval '15 minutes' <= $9
                              AND b.due_at <= $9 + $13::integer * interval '15 minutes'))
            ORDER BY CASE WHEN $12 = 'priority' THEN b.priority_score END DESC,
                     CASE WHEN $12 = 'created' THEN b.created_at END DESC,
                     CASE WHEN $12 = 'due' THEN b.due_at END,
                     b.bug_number
            LIMIT $10::bigint + $11::bigint
        ) run
        -- breached and at-risk bugs are open ones: the runs of other statuses are skipped
        WHERE NOT ($7 OR $8) OR st.status IN ('pending', 'in_progress')
        ORDER BY CASE WHEN $12 = 'priority' THEN run.priority_score END DESC,
                 CASE WHEN $12 = 'created' THEN run.created_at END DESC,
                 CASE WHEN $12 = 'due' THEN run.due_at END,
                 run.bug_number
        LIMIT $10 OFFSET $11
    ) chosen
)
