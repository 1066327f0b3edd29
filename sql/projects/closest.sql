-- Answers: the project name closest to what was typed, for "did you mean" when no
-- project matches (pg_trgm similarity).
-- Parameters: $1 name as typed. Runs only on that error path.
SELECT name FROM projects ORDER BY similarity(name, $1) DESC, name LIMIT 1
