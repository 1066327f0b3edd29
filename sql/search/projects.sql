-- Answers: projects matching the text, best first, with the score: word similarity on the
-- name, an exact tag, or full text on the description (ctodb search).
-- Parameters: $1 search text, $2 limit.
-- How: the candidates from three indexes (a union: the description's document lives in
-- ctodb.project_search, so one OR over both tables could use none of them), then each
-- candidate scored from its stored document (computing it again per candidate took
-- 233 ms at 100,000 projects). The same twenty as scoring every match (tests/search.rs).
-- Index: projects_name_trgm_idx (q <% name), projects_tags_idx,
-- project_search_vector_idx (@@); projects_pkey and project_search_pkey for the scores.
WITH q AS (SELECT $1::text AS text, websearch_to_tsquery('english', $1::text) AS ts,
                  string_to_array(lower($1::text), ' ') AS tags),
-- the holders of a tag, from its index (materialized: ordered by name under a limit, the
-- planner would walk every project in name order instead)
tagged AS MATERIALIZED (
    SELECT p.id, p.name FROM projects p, q WHERE p.tags && q.tags
),
candidates AS (
    SELECT p.id FROM projects p, q WHERE q.text <% p.name
    UNION
    -- a tag scores 0.9 whatever else: beyond the first $2 holders of a tag by name, a
    -- holder can enter the top $2 only by scoring more through its name or description,
    -- and then it is among the other candidates (a common tag is on 12,584 of 100,000
    -- projects: scoring them all took 140 ms)
    (SELECT t.id FROM tagged t ORDER BY t.name LIMIT $2)
    UNION
    SELECT s.project_id FROM ctodb.project_search s, q WHERE s.description_vector @@ q.ts
)
SELECT 'project' AS kind, p.name AS ref, p.name AS title,
       round(greatest(word_similarity(q.text, p.name),
                      CASE WHEN p.tags && q.tags THEN 0.9 ELSE 0 END,
                      ts_rank_cd(s.description_vector, q.ts))::numeric, 4) AS score,
       p.status::text AS status
FROM candidates c
JOIN projects p ON p.id = c.id
JOIN ctodb.project_search s ON s.project_id = p.id,
     q
ORDER BY score DESC, p.name
LIMIT $2
