-- Ordinary tables of the requested schemas (partitions, partitioned and
-- inheriting tables are listed by out_of_scope.sql instead).
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       ds.description AS comment,
       c.relpersistence = 'u' AS unlogged,
       c.reloptions AS options,
       tc.reloptions AS toast_options,
       -- what the spec language does not hold: listed by import, never dropped quietly
       pg_catalog.array_remove(ARRAY[
         (SELECT 'TABLESPACE ' || pg_catalog.quote_ident(ts.spcname) FROM pg_catalog.pg_tablespace ts
          WHERE ts.oid = c.reltablespace),
         (SELECT 'USING ' || pg_catalog.quote_ident(am.amname) FROM pg_catalog.pg_am am
          WHERE am.oid = c.relam AND am.amname <> 'heap'),
         CASE c.relreplident WHEN 'n' THEN 'REPLICA IDENTITY NOTHING' WHEN 'f' THEN 'REPLICA IDENTITY FULL'
              WHEN 'i' THEN (SELECT 'REPLICA IDENTITY USING INDEX ' || pg_catalog.quote_ident(ic.relname)
                             FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
                             WHERE x.indrelid = c.oid AND x.indisreplident) END,
         (SELECT 'CLUSTER ON ' || pg_catalog.quote_ident(ic.relname)
          FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
          WHERE x.indrelid = c.oid AND x.indisclustered)
       ], NULL) AS unheld
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid AND ds.objsubid = 0
                                          AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE c.relkind = 'r'
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)
  AND c.reloftype = 0
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname;
