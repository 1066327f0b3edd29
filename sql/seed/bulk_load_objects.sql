-- Answers: what a fresh bulk load should drop and build again afterwards, with the
-- statements for both: the indexes that back no constraint, the unique constraints
-- (their indexes are then built by one sort instead of millions of random insertions)
-- and the foreign keys (one validating join at the end instead of a check per row).
-- Primary keys stay. Names and definitions come from the catalog, quoted by the server.
-- Rows are in drop order (foreign keys, unique constraints, indexes); build in reverse.
-- Parameters: $1 table names (text[], schema-qualified where not in the search path).
SELECT drop_statement, create_statement
FROM (
    SELECT 1 AS stage, c.conname::text AS name,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_statement,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid)) AS create_statement
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    WHERE t.oid = ANY ($1::text[]::regclass[]) AND c.contype = 'f'
    UNION ALL
    SELECT 2, c.conname::text,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    WHERE t.oid = ANY ($1::text[]::regclass[]) AND c.contype = 'u'
      -- a unique constraint that a foreign key points at must stay
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
    UNION ALL
    SELECT 3, i.indexrelid::regclass::text,
           format('DROP INDEX %s', i.indexrelid::regclass),
           pg_get_indexdef(i.indexrelid)
             || coalesce(format('; COMMENT ON INDEX %s IS %L', i.indexrelid::regclass,
                                obj_description(i.indexrelid, 'pg_class')), '')
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    WHERE t.oid = ANY ($1::text[]::regclass[])
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
) objects
ORDER BY stage, name
