-- Records that an import run was undone (a second undo is refused), by whom.
-- Parameters: $1 the run's id, $2 the actor's id (NULL when none was named).
INSERT INTO ctodb.import_undone (run_id, undone_by) VALUES ($1, $2)
RETURNING undone_at
