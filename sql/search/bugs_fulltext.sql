-- Answers: bugs whose title and description match the words (full text, English stems),
-- best ranked first (ts_rank: term frequency; cover density ranking costs a third more
-- at a million bugs), with the score (ctodb search). Runs first: at a million bugs it is
-- the cheap way to rank (trigram over descriptions takes seconds, ANCHORS.md).
-- Parameters: $1 search text, $2 limit.
-- Index: bugs_search_vector_idx (@@).
WITH q AS (SELECT websearch_to_tsquery('english', $1::text) AS ts)
SELECT 'bug' AS kind, b.bug_number::text AS ref, b.title,
       round(ts_rank(b.search_vector, q.ts, 32)::numeric, 4) AS score,
       b.status::text AS status, b.id
FROM bugs b, q
WHERE b.search_vector @@ q.ts
ORDER BY ts_rank(b.search_vector, q.ts, 32) DESC, b.bug_number
LIMIT $2
