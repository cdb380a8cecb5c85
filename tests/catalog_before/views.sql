-- Views and materialized views of the requested schemas (not an extension's),
-- their query as the server prints it (search_path is pg_catalog: every other
-- relation qualified), their options (reloptions), comment, and the comments on
-- their columns ([column, comment] pairs in column order).
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind = 'm' AS materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS query,
       coalesce(c.reloptions, '{}'::text[]) AS options,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       c.reltablespace <> 0 AS tablespace,
       coalesce((SELECT jsonb_agg(jsonb_build_array(a.attname, pg_catalog.col_description(c.oid, a.attnum))
                                  ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL), '[]'::jsonb) AS column_comments
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND c.oid NOT IN (SELECT d.objid FROM pg_catalog.pg_depend d
                    WHERE d.deptype = 'e' AND d.classid = 'pg_catalog.pg_class'::regclass)
ORDER BY n.nspname, c.relname;
