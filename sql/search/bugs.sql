-- Answers: bugs matching the text, best first, with the score: word similarity on the
-- title (typo tolerant) or full-text match of title and description, ranked.
-- Parameters: $1 search text, $2 limit.
-- Index: bugs_title_trgm_idx (q <% title), bugs_search_vector_idx (@@). Trigram over the
-- long descriptions is deliberately not used: at a million bugs it takes seconds.
WITH q AS (SELECT $1::text AS text, websearch_to_tsquery('english', $1::text) AS ts),
by_title AS (
    SELECT b.id, word_similarity(q.text, b.title) AS score
    FROM bugs b, q
    WHERE q.text <% b.title
    ORDER BY score DESC
    LIMIT 200
), by_text AS (
    SELECT b.id, ts_rank_cd(b.search_vector, q.ts, 32) AS score
    FROM bugs b, q
    WHERE b.search_vector @@ q.ts
    ORDER BY score DESC
    LIMIT 200
), matched AS (
    SELECT id, max(score) AS score FROM (SELECT * FROM by_title UNION ALL SELECT * FROM by_text) m GROUP BY id
)
SELECT 'bug' AS kind, b.bug_number::text AS ref, b.title, round(m.score::numeric, 4) AS score,
       b.status::text AS status
FROM matched m
JOIN bugs b ON b.id = m.id
ORDER BY m.score DESC, b.bug_number
LIMIT $2
