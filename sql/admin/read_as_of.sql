-- Makes this read-only transaction read the database as it was at an earlier instant
-- (--as-of): the views of ctodb_as_of (migration as_of) come first in its search path,
-- named as the tables and summaries they stand for, reading the instant from
-- ctodb.as_of. Unless asked to always ($2, an export), the tables keep the path when they
-- hold that state already: nothing recorded after the instant and the last refresh scored
-- at it (ctodb.recorded_after). Both settings last until the transaction ends.
-- Parameters: $1 the instant as RFC 3339 text, $2 read the views whatever is recorded
-- since, $3 the search path of a read of now (db::SEARCH_PATH).
SELECT set_config('search_path',
                  CASE WHEN $2::boolean OR ctodb.recorded_after($1::text::timestamptz)
                       THEN 'ctodb_as_of, ' || $3::text ELSE $3::text END,
                  true),
       set_config('ctodb.as_of', $1, true)
