-- Triggers of tables in the requested schemas (not internal ones, not constraint
-- triggers). tgtype bits: 1 row, 2 before, 4 insert, 8 delete, 16 update,
-- 32 truncate, 64 instead of. The WHEN clause is read out of pg_get_triggerdef.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       t.tgname AS name,
       t.tgtype::int AS type,
       t.tgenabled AS enabled,
       ARRAY(SELECT a.attname FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.i)
         AS columns,
       fn.nspname AS function_schema,
       f.proname AS function_name,
       t.tgnargs AS nargs,
       encode(t.tgargs, 'hex') AS args_hex,
       t.tgqual IS NOT NULL AS has_when,
       pg_catalog.pg_get_triggerdef(t.oid) AS definition,
       t.tgoldtable IS NOT NULL OR t.tgnewtable IS NOT NULL AS transition_tables,
       ds.description AS comment
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = t.oid AND ds.objsubid = 0
                                          AND ds.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
WHERE NOT t.tgisinternal AND t.tgconstraint = 0
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
ORDER BY n.nspname, c.relname, t.tgname;
