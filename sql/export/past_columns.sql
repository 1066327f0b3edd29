-- Answers: the columns the view of a table at a past instant shows (ctodb_as_of, migration
-- as_of), for an export --as-of a past instant: a column the table has and its view
-- lacks (one a later migration added) is exported with today's value.
-- Parameters: $1 table name (one of ctodb's nine, never user text).
-- Index: the catalogs' own.
SELECT a.attname::text AS name
FROM pg_attribute a
WHERE a.attrelid = to_regclass('ctodb_as_of.' || $1::text)
  AND a.attnum > 0
  AND NOT a.attisdropped
