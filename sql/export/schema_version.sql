-- Answers: the last migration applied to the database, recorded in a snapshot's manifest
-- as its schema version (`ctodb snapshots` lists it; `diff` names the columns a later
-- schema added).
-- Parameters: none. Index: schema_migrations_pkey.
SELECT coalesce(
           (SELECT version::text || '_' || name FROM ctodb.schema_migrations ORDER BY version DESC LIMIT 1),
           'none') AS schema_version
