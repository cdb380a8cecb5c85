-- Views and materialized views of the requested schemas (not an extension's),
-- their query as the server prints it (search_path is pg_catalog: every other
-- relation qualified), their options (reloptions), comment, and the comments on
-- their columns ([column, comment] pairs in column order).
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind = 'm' AS materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS query,
       coalesce(c.reloptions, '{}'::text[]) AS options,
       ds.description AS comment,
       c.reltablespace <> 0 AS tablespace,
       coalesce((SELECT jsonb_agg(jsonb_build_array(a.attname, cd.description) ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 JOIN pg_catalog.pg_description cd ON cd.objoid = a.attrelid AND cd.objsubid = a.attnum
                                                  AND cd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::jsonb) AS column_comments
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = c.oid AND ds.objsubid = 0
                                          AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE c.relkind IN ('v', 'm')
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
  AND c.oid NOT IN (SELECT d.objid FROM pg_catalog.pg_depend d
                    WHERE d.deptype = 'e' AND d.classid = 'pg_catalog.pg_class'::regclass)
ORDER BY n.nspname, c.relname;
