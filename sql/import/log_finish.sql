-- Records how an import ended (ctodb import): its status, row counts, first errors and
-- timings. rows_imported is inserted + updated. A succeeded or partial import writes
-- this inside its own transaction, so the row and the data commit together; a failed
-- one on its own connection. Only a row still `running` changes: an interrupt that
-- arrives after the import committed does not turn it into a failure.
-- Parameters: $1 log id, $2 status, $3 rows total, $4 inserted, $5 updated, $6 unchanged,
-- $7 failed, $8 errors (jsonb array), $9 timings (jsonb object).
UPDATE import_logs
SET status = $2,
    rows_total = $3,
    rows_inserted = $4,
    rows_updated = $5,
    rows_unchanged = $6,
    rows_imported = $4::integer + $5::integer,
    rows_failed = $7,
    errors = $8,
    timings = $9,
    finished_at = greatest(clock_timestamp(), started_at)
WHERE id = $1 AND status = 'running'
