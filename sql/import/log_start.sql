-- Records that an import started (ctodb import), in its own transaction, so that the row
-- stays whatever becomes of the import.
-- Parameters: $1 source, $2 target (the file), $3 kind, $4 the actor's id.
INSERT INTO import_logs (source, target, kind, status, imported_by, started_at)
VALUES ($1, $2, $3, 'running', $4, clock_timestamp())
RETURNING id
