-- Names the import run whose transaction this is: every row it inserts or updates is
-- journalled under it (ctodb.import_changes), for `ctodb import undo`.
-- Parameters: $1 the import_logs id, as text.
SELECT set_config('ctodb.import_run', $1, true)
