-- Answers: what the current role lacks of each of ctodb's three roles (ctodb grants,
-- doctor, and the check before a command that writes). The reader's and the writer's
-- privileges arrive as parameters, one element per privilege, from the one list that
-- `ctodb grants` prints (db::privileges::GRANTS); objects that do not exist yet (before
-- a migration) are skipped. Besides them: USAGE on the schemas (reader), TEMPORARY on the
-- database (writer: imports and refresh stage rows in temporary tables), and the owner's
-- membership in the role that owns the tables (before the first migration: CREATE on the
-- schema public). One row a missing privilege, reader first, then writer, then owner;
-- by object within each.
-- Parameters: $1 roles, $2 object kinds (TABLE, SEQUENCE, FUNCTION), $3 objects, $4
-- privileges, $5 the columns a privilege is limited to, comma-separated ('' for none).
WITH wanted AS (
    SELECT w.role, w.kind, w.object, w.privilege,
           CASE w.kind WHEN 'FUNCTION' THEN to_regprocedure(w.object)::oid
                       ELSE to_regclass(w.object)::oid END AS oid,
           nullif(w.columns, '') AS columns
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         AS w (role, kind, object, privilege, columns)
), missing AS (
    SELECT 1 AS rank, 'reader' AS role, format('schema %I', nspname) AS object, 'USAGE' AS privilege
    FROM pg_namespace
    WHERE nspname IN ('public', 'ctodb', 'ctodb_as_of') AND NOT has_schema_privilege(oid, 'USAGE')
    UNION ALL
    SELECT CASE w.role WHEN 'reader' THEN 1 ELSE 2 END, w.role,
           CASE w.kind WHEN 'TABLE' THEN w.object ELSE lower(w.kind) || ' ' || w.object END
               || coalesce(' (' || w.columns || ')', ''),
           w.privilege
    FROM wanted w
    WHERE w.oid IS NOT NULL
      -- (CASE: each has_*_privilege refuses an object of another kind, whatever order
      -- the planner picks)
      AND NOT CASE
          WHEN w.kind = 'FUNCTION' THEN has_function_privilege(w.oid, w.privilege)
          WHEN w.kind = 'SEQUENCE' THEN has_sequence_privilege(w.oid, w.privilege)
          WHEN w.columns IS NULL THEN has_table_privilege(w.oid, w.privilege)
          ELSE (SELECT bool_and(has_column_privilege(w.oid, c, w.privilege))
                FROM unnest(string_to_array(w.columns, ',')) AS c)
      END
    UNION ALL
    SELECT 2, 'writer', format('database %I', current_database()), 'TEMPORARY'
    WHERE NOT has_database_privilege(current_database(), 'TEMPORARY')
    UNION ALL
    SELECT 3, 'owner', format('%I.%I', n.nspname, c.relname),
           format('membership in %I, its owner', pg_get_userbyid(c.relowner))
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = to_regclass('public.bugs') AND NOT pg_has_role(c.relowner, 'MEMBER')
    UNION ALL
    SELECT 3, 'owner', 'schema public', 'CREATE'
    WHERE to_regclass('public.bugs') IS NULL AND NOT has_schema_privilege('public', 'CREATE')
)
SELECT role, object, privilege FROM missing ORDER BY rank, object, privilege
