-- Sets the transaction's "now" for SQL that reads current_setting('ctodb.as_of'), and
-- marks the transaction as a seed, whose rows carry their own updated_at.
-- Parameters: $1 as-of instant as RFC 3339 text.
SELECT set_config('ctodb.as_of', $1, true), set_config('ctodb.seeding', 'on', true)
