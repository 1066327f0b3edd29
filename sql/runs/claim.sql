-- After a lost COMMIT: inserts the run's id, inside a transaction the caller rolls back.
-- The insert waits while the run's own transaction is still open (the same key), then
-- returns a row when that transaction did not commit, none when it did.
-- Parameters: $1 run id, $2 command.
INSERT INTO ctodb.runs (id, command, outcome) VALUES ($1, $2, 'null')
ON CONFLICT (id) DO NOTHING
RETURNING id
