-- Names the person behind this transaction's changes: the bug history trigger records it
-- as changed_by (a user id).
-- Parameters: $1 user id as text.
SELECT set_config('ctodb.actor', $1, true)
