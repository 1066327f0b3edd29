-- Answers: bugs whose title and description match the words (full text, English stems),
-- best ranked first (ts_rank: term frequency; cover density ranking costs a third more
-- at a million bugs), with the score (ctodb search). Runs first: at a million bugs it is
-- the cheap way to rank (trigram over descriptions takes seconds, ANCHORS.md).
-- Parameters: $1 search text, $2 limit.
-- Index: bugs_search_vector_idx (@@). The rank is computed once per match, and only the
-- best rows are joined back for their title: every match costs a heap visit already.
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) AS ts),
best AS (
    SELECT b.bug_number, ts_rank(b.search_vector, q.ts, 32) AS rank
    FROM bugs b, q
    WHERE b.search_vector @@ q.ts
    ORDER BY rank DESC, b.bug_number
    LIMIT $2
)
SELECT 'bug' AS kind, b.bug_number::text AS ref, b.title,
       round(best.rank::numeric, 4) AS score,
       b.status::text AS status, b.id
FROM best
JOIN bugs b ON b.bug_number = best.bug_number
ORDER BY best.rank DESC, b.bug_number
