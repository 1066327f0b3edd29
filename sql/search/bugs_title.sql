-- Answers: bugs whose title is similar to the text (pg_trgm word similarity: catches
-- partial words and spellings the dictionary did not correct), best first, with the
-- score (ctodb search). Fills up the list when full text found fewer than asked.
-- Parameters: $1 search text, $2 limit, $3 ids already found (uuid[]).
-- Index: bugs_title_trgm_idx ($1 <% title).
SELECT 'bug' AS kind, b.bug_number::text AS ref, b.title,
       round(word_similarity($1::text, b.title)::numeric, 4) AS score,
       b.status::text AS status, b.id
FROM bugs b
WHERE $1::text <% b.title
  AND NOT (b.id = ANY ($3::uuid[]))
ORDER BY word_similarity($1::text, b.title) DESC, b.bug_number
LIMIT $2
