-- Answers: which rows of an import run did later changes touch, and how (ctodb import
-- undo refuses while there are any). Runs after import/undo_lock in the same transaction.
-- Parameters: $1 the run's id.
SELECT c.table_name, c.label, c.reason FROM ctodb.import_undo_conflicts($1) c
