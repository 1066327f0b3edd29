-- Answers: which project does the user mean by NAME-or-ID? In order: the id, the exact
-- name, the name in any case, the only name starting with what was typed. The closest
-- name by trigram similarity comes back too, for a "did you mean" when nothing matches.
-- Parameters: $1 name or id as typed (text).
-- Index: projects_name_key for the exact name; the table is small enough to scan for the rest.
WITH candidates AS (
    SELECT id, name,
           id::text = lower($1) OR name = $1 OR lower(name) = lower($1) AS exact,
           starts_with(lower(name), lower($1)) AS prefix,
           count(*) FILTER (WHERE starts_with(lower(name), lower($1))) OVER () AS prefixed
    FROM projects
)
SELECT id, name, exact OR (prefix AND prefixed = 1) AS matches
FROM candidates
ORDER BY exact DESC, (prefix AND prefixed = 1) DESC, (id::text = lower($1)) DESC, (name = $1) DESC,
         similarity(name, $1) DESC, name
LIMIT 1
