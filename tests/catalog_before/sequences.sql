-- Sequences of the requested schemas with their options, owner and comment.
-- Not those an identity column owns (deptype i: they are the column's) nor an
-- extension's. A serial column's own sequence is read here too: the Python side
-- folds it into its column when it is exactly what serial makes.
SELECT n.nspname AS schema,
       s.relname AS name,
       pg_catalog.format_type(sq.seqtypid, NULL) AS type,
       sq.seqstart::text AS start,
       sq.seqincrement::text AS increment,
       sq.seqmin::text AS minvalue,
       sq.seqmax::text AS maxvalue,
       sq.seqcache::text AS cache,
       sq.seqcycle AS cycle,
       s.relpersistence = 'u' AS unlogged,
       own.schema AS owner_schema,
       own.table_name AS owner_table,
       own.column_name AS owner_column,
       pg_catalog.obj_description(s.oid, 'pg_class') AS comment
FROM pg_catalog.pg_class s
JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
LEFT JOIN LATERAL (
  SELECT tn.nspname AS schema, t.relname AS table_name, a.attname AS column_name
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a'
    AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0
  LIMIT 1
) own ON true
WHERE s.relkind = 'S'
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('i', 'e'))
ORDER BY n.nspname, s.relname;
