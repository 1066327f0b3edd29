-- Locks what an undo of one run changes: the run (one undo at a time, transaction-scoped
-- advisory lock in the key space of undos, 1820) and every row the run inserted or
-- updated, so that no person's change lands between the conflict check and the undo.
-- Parameters: $1 the run's id.
WITH run_rows AS (SELECT r.table_name, r.row_id FROM ctodb.import_run_rows($1) r),
run AS (SELECT pg_advisory_xact_lock(1820, hashtext($1::text)))
SELECT (SELECT count(*) FROM run)
     + (SELECT count(*) FROM (SELECT 1 FROM users t WHERE t.id IN
           (SELECT row_id FROM run_rows WHERE table_name = 'users') FOR UPDATE) x)
     + (SELECT count(*) FROM (SELECT 1 FROM projects t WHERE t.id IN
           (SELECT row_id FROM run_rows WHERE table_name = 'projects') FOR UPDATE) x)
     + (SELECT count(*) FROM (SELECT 1 FROM bugs t WHERE t.id IN
           (SELECT row_id FROM run_rows WHERE table_name = 'bugs') FOR UPDATE) x)
     + (SELECT count(*) FROM (SELECT 1 FROM project_metrics t WHERE t.id IN
           (SELECT row_id FROM run_rows WHERE table_name = 'project_metrics') FOR UPDATE) x) AS locked
