-- Answers: which project does the user mean by NAME-or-ID? In order: the id, the exact
-- name, the name in any case, the only name starting with what was typed.
-- Parameters: $1 name or id as typed (text).
-- Index: projects_name_key for the exact name; 10,000 names scan in a few milliseconds.
WITH candidates AS (
    SELECT id, name,
           id::text = lower($1) OR name = $1 OR lower(name) = lower($1) AS exact,
           starts_with(lower(name), lower($1)) AS prefix
    FROM projects
    WHERE id::text = lower($1) OR lower(name) = lower($1) OR starts_with(lower(name), lower($1))
)
SELECT id, name
FROM candidates
WHERE exact OR (SELECT count(*) FROM candidates WHERE prefix) = 1
ORDER BY exact DESC, (id::text = lower($1)) DESC, (name = $1) DESC, name
LIMIT 1
