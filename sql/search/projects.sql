-- Answers: projects matching the text, best first, with the score: word similarity on the
-- name, an exact tag, or full text on the description (ctodb search).
-- Parameters: $1 search text, $2 limit.
-- Index: projects_name_trgm_idx (q <% name), projects_tags_idx, projects_description_fts_idx.
WITH q AS (SELECT $1::text AS text, websearch_to_tsquery('english', $1::text) AS ts)
SELECT 'project' AS kind, p.name AS ref, p.name AS title,
       round(greatest(word_similarity(q.text, p.name),
                      CASE WHEN p.tags && string_to_array(lower(q.text), ' ') THEN 0.9 ELSE 0 END,
                      ts_rank_cd(to_tsvector('english', coalesce(p.description, '')), q.ts))::numeric, 4) AS score,
       p.status::text AS status
FROM projects p, q
WHERE q.text <% p.name
   OR p.tags && string_to_array(lower(q.text), ' ')
   OR to_tsvector('english', coalesce(p.description, '')) @@ q.ts
ORDER BY score DESC, p.name
LIMIT $2
