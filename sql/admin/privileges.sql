-- Answers: what the current role lacks of each of ctodb's three roles (ctodb grants,
-- doctor, and the check before a command that writes): the reader's USAGE on the schemas
-- and SELECT on every table and view of public and ctodb; the writer's INSERT, UPDATE and
-- DELETE on every table, USAGE on every sequence and EXECUTE on
-- ctodb.refresh_search_words(boolean) and TEMPORARY on the database (imports and refresh
-- stage rows in temporary tables); the owner's membership in the role that owns the tables
-- (before the first migration: CREATE on the schema public). One row a missing privilege,
-- reader first, then writer, then owner; by object within each.
-- Parameters: none.
WITH objects AS (
    SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind, c.relowner
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'ctodb') AND c.relkind IN ('r', 'p', 'm', 'v', 'S')
), missing AS (
    SELECT 1 AS rank, 'reader' AS role, format('schema %I', nspname) AS object, 'USAGE' AS privilege
    FROM pg_namespace
    WHERE nspname IN ('public', 'ctodb') AND NOT has_schema_privilege(oid, 'USAGE')
    UNION ALL
    SELECT 1, 'reader', name, 'SELECT'
    FROM objects
    WHERE relkind IN ('r', 'p', 'm', 'v') AND NOT has_table_privilege(oid, 'SELECT')
    UNION ALL
    SELECT 2, 'writer', o.name, p.privilege
    FROM objects o, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) AS p (privilege)
    WHERE o.relkind IN ('r', 'p') AND NOT has_table_privilege(o.oid, p.privilege)
    UNION ALL
    SELECT 2, 'writer', name, 'USAGE'
    FROM objects
    -- (CASE: has_sequence_privilege refuses a table, whatever order the planner picks)
    WHERE CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'USAGE') ELSE false END
    UNION ALL
    SELECT 2, 'writer', 'function ctodb.refresh_search_words(boolean)', 'EXECUTE'
    WHERE to_regprocedure('ctodb.refresh_search_words(boolean)') IS NOT NULL
      AND NOT has_function_privilege('ctodb.refresh_search_words(boolean)', 'EXECUTE')
    UNION ALL
    SELECT 2, 'writer', format('database %I', current_database()), 'TEMPORARY'
    WHERE NOT has_database_privilege(current_database(), 'TEMPORARY')
    UNION ALL
    SELECT 3, 'owner', name, format('membership in %I, its owner', pg_get_userbyid(relowner))
    FROM objects
    WHERE name = 'public.bugs' AND NOT pg_has_role(relowner, 'MEMBER')
    UNION ALL
    SELECT 3, 'owner', 'schema public', 'CREATE'
    WHERE to_regclass('public.bugs') IS NULL AND NOT has_schema_privilege('public', 'CREATE')
)
SELECT role, object, privilege FROM missing ORDER BY rank, object, privilege
