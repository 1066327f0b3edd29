-- Answers: which import run does the user mean (ctodb import undo RUN)? Its id or the
-- start of it; the two newest matches, so that an ambiguous prefix is named as such.
-- Parameters: $1 the id or its first characters (bound text, compared as a prefix).
SELECT l.id, l.status, l.target, l.started_at,
       u.undone_at,
       EXISTS (SELECT 1 FROM ctodb.import_changes c WHERE c.run_id = l.id) AS journalled
FROM import_logs l
LEFT JOIN ctodb.import_undone u ON u.run_id = l.id
WHERE starts_with(l.id::text, lower($1))
ORDER BY l.started_at DESC
LIMIT 2
