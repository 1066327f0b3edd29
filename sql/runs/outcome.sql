-- The outcome a committed run recorded (runs/record.sql).
-- Parameters: $1 run id. Index: runs_pkey.
SELECT outcome FROM ctodb.runs WHERE id = $1
