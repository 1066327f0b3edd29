-- Makes this read-only transaction read the database as it was at an earlier instant
-- (--as-of), as sql/admin/read_past.sql does, unless nothing was recorded after it and the
-- last refresh scored at it (ctodb.recorded_after, migration as_of): then the tables are
-- that state already and keep their own path. Both settings last until the transaction
-- ends.
-- Parameters: $1 the instant as RFC 3339 text.
SELECT set_config('search_path',
                  CASE WHEN ctodb.recorded_after($1::text::timestamptz) THEN 'ctodb_as_of, public, ctodb'
                       ELSE 'public, ctodb' END,
                  true),
       set_config('ctodb.as_of', $1, true)
