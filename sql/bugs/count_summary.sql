-- Answers: how many bugs have these severities and statuses, from the ctodb.bug_counts
-- summary (the footer of ctodb bugs when no other filter applies: counting a million rows
-- takes a third of a second).
-- Parameters: $1 severities (bug_severity[] or NULL for all), $2 statuses (bug_status[]).
SELECT coalesce(sum(bugs), 0)::bigint
FROM ctodb.bug_counts
WHERE ($1::bug_severity[] IS NULL OR severity = ANY ($1))
  AND status = ANY ($2::bug_status[])
