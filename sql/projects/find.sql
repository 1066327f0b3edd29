-- Answers: which project does the user mean by NAME-or-ID? In order: the id, the exact
-- name, the name in any case, the only name starting with what was typed (any case).
-- Parameters: $1 name or id as typed (text), $2 the same parsed as a uuid, or NULL.
-- Index: projects_pkey for the id, projects_lower_name_idx for the name and its prefix
-- (a LIKE prefix range: what was typed is escaped, so % and _ are plain characters).
WITH candidates AS (
    SELECT id, name,
           id = $2 OR name = $1 OR lower(name) = lower($1) AS exact
    FROM projects
    WHERE id = $2::uuid
       OR lower(name) LIKE replace(replace(replace(lower($1::text), '\', '\\'), '%', '\%'), '_', '\_') || '%'
)
SELECT id, name
FROM candidates
WHERE exact OR (SELECT count(*) FROM candidates) = 1
ORDER BY exact DESC, (id = $2) DESC NULLS LAST, (name = $1) DESC, name
LIMIT 1
