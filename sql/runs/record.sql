-- Records a writing run inside its own transaction, just before COMMIT: the row commits
-- or vanishes with the run's changes. Also prunes runs older than 30 days, skipping rows
-- another transaction holds so that two writers never wait on each other here.
-- Parameters: $1 run id, $2 command, $3 outcome (jsonb: the figures the run reports).
-- Index: runs_pkey; runs_committed_at_idx for the pruning.
WITH pruned AS (
    DELETE FROM ctodb.runs
    WHERE id IN (SELECT id FROM ctodb.runs
                 WHERE committed_at < now() - interval '30 days'
                 FOR UPDATE SKIP LOCKED)
)
INSERT INTO ctodb.runs (id, command, outcome) VALUES ($1, $2, $3)
