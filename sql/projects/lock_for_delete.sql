-- Locks one project's row for its deletion (ctodb project delete): a bug added to it
-- meanwhile (its foreign key takes a share lock on the row) waits, then fails.
-- Parameters: $1 project id. Index: projects_pkey.
SELECT p.name FROM projects p WHERE p.id = $1 FOR UPDATE
