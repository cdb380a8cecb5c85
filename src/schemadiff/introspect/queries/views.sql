-- Plain views of the requested schemas (not an extension's), their query as the
-- server prints it (search_path is pg_catalog: every other relation qualified),
-- their options (reloptions) and comment. Materialized views stay out of scope.
SELECT n.nspname AS schema,
       c.relname AS name,
       pg_catalog.pg_get_viewdef(c.oid) AS query,
       coalesce(c.reloptions, '{}'::text[]) AS options,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
               AND NOT a.attisdropped AND pg_catalog.col_description(c.oid, a.attnum) IS NOT NULL) AS column_comments
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v'
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND c.oid NOT IN (SELECT d.objid FROM pg_catalog.pg_depend d
                    WHERE d.deptype = 'e' AND d.classid = 'pg_catalog.pg_class'::regclass)
ORDER BY n.nspname, c.relname;
