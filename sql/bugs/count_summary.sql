-- Answers: how many bugs have these severities and statuses, from the ctodb.bug_counts
-- summary (the footer of ctodb bugs when no other filter applies: counting a million rows
-- takes a third of a second).
-- Parameters: $1 severities (text[] or NULL for all), $2 statuses (text[]).
SELECT coalesce(sum(bugs), 0)::bigint AS total
FROM bug_counts
WHERE ($1::text[] IS NULL OR severity = ANY (ctodb_bug_severities($1)))
  AND status = ANY (ctodb_bug_statuses($2))
