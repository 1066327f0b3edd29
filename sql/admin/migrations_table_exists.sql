-- Answers: has ctodb's migration bookkeeping been created in this database?
-- Parameters: none.
SELECT to_regclass('ctodb.schema_migrations') IS NOT NULL AS present
