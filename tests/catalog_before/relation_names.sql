-- Every name in the relation namespace of the requested schemas; tables,
-- indexes, sequences, views, materialized views, foreign and partitioned tables,
-- composite types; and the names of the types that are no relation's row type
-- (a new table's row type takes its table's name in pg_type), whoever owns them
-- (extensions, other tools, tables the spec does not manage): what a plan's new
-- names must not meet. Array types are left out (PostgreSQL renames a new array
-- type out of the way). TOAST tables live in pg_toast, never here.
SELECT n.nspname AS schema,
       c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'i' THEN 'index'
                      WHEN 'I' THEN 'partitioned index' WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      WHEN 'c' THEN 'composite type' ELSE 'relation' END AS kind,
       tn.nspname AS on_schema,
       t.relname AS on_table
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = c.oid
LEFT JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND c.relkind <> 't'
UNION ALL
SELECT n.nspname, ty.typname,
       CASE ty.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type'
                       WHEN 'm' THEN 'multirange type' ELSE 'type' END,
       NULL, NULL
FROM pg_catalog.pg_type ty
JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace
WHERE n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND ty.typrelid = 0
  AND NOT (ty.typcategory = 'A' AND ty.typelem <> 0)
ORDER BY 1, 2, 3;
