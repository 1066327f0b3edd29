-- Names what this transaction's changes are, for the bug history (its `via`) when it is
-- more than the command: a correction, with the reason a person gave.
-- Parameters: $1 the text (`bug update --correct: set by mistake`).
SELECT set_config('ctodb.via', $1, true)
