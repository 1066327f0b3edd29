-- Answers: which migrations were applied, with the checksum recorded at the time.
-- Parameters: none. Index: the primary key of ctodb.schema_migrations.
SELECT version, name, checksum, applied_at
FROM ctodb.schema_migrations
ORDER BY version
