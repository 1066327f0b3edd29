-- Answers: about how many rows a table holds (the planner's estimate, for the export's
-- progress bar; exact counts would read the table twice).
-- Parameters: $1 table name (one of ctodb's nine, never user text).
SELECT greatest(c.reltuples, 0)::bigint AS estimate
FROM pg_class c
WHERE c.oid = ('public.' || $1::text)::regclass
