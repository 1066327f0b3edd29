-- Answers: the exported columns of one of ctodb's tables, in table order, with what the
-- Parquet schema is made from: the type's name, kind (typtype: b base, e enum), the
-- element type of an array, numeric precision and scale from the typmod, and an enum's
-- labels in their order (the Parquet dictionary of the column). Generated
-- columns (bugs.search_vector) are left out.
-- Parameters: $1 table name (one of ctodb's nine, never user text).
-- Index: the catalogs' own.
SELECT a.attname::text AS name,
       t.typname::text AS type_name,
       t.typtype::text AS type_kind,
       e.typname::text AS element_type,
       a.attnotnull AS not_null,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END AS numeric_precision,
       CASE WHEN t.typname = 'numeric' AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END AS numeric_scale,
       (SELECT array_agg(l.enumlabel::text ORDER BY l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid) AS enum_labels
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
WHERE a.attrelid = ('public.' || $1::text)::regclass
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND a.attgenerated = ''
ORDER BY a.attnum
