-- Answers: does a database of this name exist on the server?
-- Parameters: $1 database name. Runs against the maintenance database.
SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS present
