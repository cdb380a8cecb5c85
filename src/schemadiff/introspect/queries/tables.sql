-- Ordinary tables of the requested schemas (partitions, partitioned and
-- inheriting tables are listed by out_of_scope.sql instead).
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       c.relpersistence = 'u' AS unlogged,
       c.reloptions AS options,
       tc.reloptions AS toast_options
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
WHERE c.relkind = 'r'
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)
  AND c.reloftype = 0
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname;
