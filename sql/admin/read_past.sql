-- Makes this read-only transaction read the database as it was at a past instant
-- (--as-of): the views of ctodb_as_of (migration as_of) come first in the path, named as
-- the tables and summaries they stand for, and read the instant from ctodb.as_of. Both
-- settings last until the transaction ends.
-- Parameters: $1 the instant as RFC 3339 text.
SELECT set_config('search_path', 'ctodb_as_of, public, ctodb', true),
       set_config('ctodb.as_of', $1, true)
