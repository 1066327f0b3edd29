-- Answers: the indexes of the bulk-loaded tables that back no constraint, with the
-- statements that drop and rebuild them (comment included). Seed drops them before COPY
-- and builds them afterwards, several times faster than maintaining them row by row.
-- Names and definitions come from the catalog, quoted by the server.
-- Parameters: $1 table names (text[]).
SELECT format('DROP INDEX %s', i.indexrelid::regclass) AS drop_statement,
       pg_get_indexdef(i.indexrelid)
         || coalesce(format('; COMMENT ON INDEX %s IS %L', i.indexrelid::regclass,
                            obj_description(i.indexrelid, 'pg_class')), '') AS create_statement
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace
  AND t.relname = ANY ($1)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY i.indexrelid::regclass::text
