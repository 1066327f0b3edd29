-- Writes that happen exactly once (SPEC §10). Each writing run of ctodb (seed, an
-- import, bug update, refresh) inserts its id and its outcome here inside its own
-- transaction, just before COMMIT. When the connection is lost while COMMIT is under
-- way, the outcome is unknown to the client; it looks the id up: a row means the run
-- committed (and holds the figures to report), no row means it did not and may run
-- again. Rows older than 30 days are pruned by later runs: a lookup follows its run
-- within seconds.
CREATE TABLE ctodb.runs (
    id uuid PRIMARY KEY,
    command text NOT NULL,
    outcome jsonb NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now()
);

-- The pruning's range scan.
CREATE INDEX runs_committed_at_idx ON ctodb.runs (committed_at);
