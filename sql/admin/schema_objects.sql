-- Answers: which tables, enums and indexes exist in the public schema (doctor's schema
-- check compares them with what the migrations create).
-- Parameters: none. Reads the catalogs only.
SELECT 'table' AS kind, c.relname::text AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'enum', t.typname::text
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype = 'e'
UNION ALL
SELECT 'index', c.relname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'i'
ORDER BY 1, 2
