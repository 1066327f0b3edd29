-- Reverts an import run: what it inserted deleted, what it changed restored, per table.
-- Parameters: $1 the run's id.
SELECT u.table_name, u.deleted, u.restored FROM ctodb.undo_import($1) u
