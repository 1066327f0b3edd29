-- Answers: the bug with this number as it is now, locked until the transaction ends, so
-- that two updates of one bug run one after the other (ctodb bug update).
-- Parameters: $1 bug number. Index: bugs_bug_number_key.
SELECT b.id, b.status, b.severity, b.assignee_id, b.is_blocker, assignee.email AS assignee
FROM bugs b
LEFT JOIN users assignee ON assignee.id = b.assignee_id
WHERE b.bug_number = $1
FOR UPDATE OF b
