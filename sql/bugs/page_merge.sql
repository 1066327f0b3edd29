-- Answers: which bugs match the filters, one page, in the order asked (ctodb bugs; the
-- open bugs of ctodb project; the lists of report sla). Followed by bugs/page_rows.sql,
-- which reads the rows of the page.
-- How: one ordered run per (status, severity) pair (bugs/page_run.sql, written in at
-- @runs, joined by UNION ALL) and a Merge Append of the runs: the merge pulls from each
-- run only as many bugs as reach the page, so a page costs about limit + offset index
-- entries whatever the filters, instead of limit + offset per run.
-- The sort is a bound value: the CASE of each unused sort folds to a constant, which the
-- planner drops, so each run is ordered by one index's key; a run not asked for folds to
-- false. Both need a plan made for the values (a custom plan), which is what ctodb gets:
-- it prepares every statement afresh and runs it once.
-- Parameters: $1 severities (text[] or NULL for all), $2 statuses (text[]), $3 project id
-- or NULL, $4 assignee id or NULL, $5 only unassigned, $6 only blockers, $7 only breached
-- (open and past due), $8 only at risk (open, past 75% of the SLA, not past due), $9 as-of
-- instant, $10 limit, $11 offset, $12 sort: priority (highest first) | created (newest
-- first) | due (earliest due instant first, so most overdue first), $13 the at-risk
-- horizon: the longest SLA in hours of any open bug (bugs/open_sla_max.sql; an at-risk
-- bug is due within a quarter of it, so the at-risk runs read only bugs due that soon),
-- NULL unless $8.
-- Index: see bugs/page_run.sql; one index-only run per pair asked for.
WITH page AS (
    SELECT chosen.bug_number, row_number() OVER () AS rank
    FROM (
        SELECT run.bug_number
        FROM (
@runs
        ) run
        ORDER BY CASE WHEN $12 = 'priority' THEN run.priority_score END DESC,
                 CASE WHEN $12 = 'created' THEN run.created_at END DESC,
                 CASE WHEN $12 = 'due' THEN run.due_at END,
                 run.bug_number
        LIMIT $10 OFFSET $11
    ) chosen
)
