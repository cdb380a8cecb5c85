-- Primary key, unique, check and foreign-key constraints (contype p, u, c, f)
-- of tables in the requested schemas. NOT NULL constraints (contype n, catalogued
-- since PostgreSQL 18) are columns' nullability, not constraints here; exclusion
-- constraints are listed by out_of_scope.sql.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       con.conname AS name,
       con.contype AS type,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END AS expression,
       con.connoinherit AS no_inherit,
       con.convalidated AS validated,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS ref_columns,
       con.confdeltype AS on_delete,
       con.confupdtype AS on_update,
       con.confmatchtype AS match_type,
       COALESCE(ix.indnullsnotdistinct, false) AS nulls_not_distinct,
       (SELECT ic.reloptions FROM pg_catalog.pg_class ic WHERE ic.oid = ix.indexrelid) AS index_options,
       -- PostgreSQL 18's NOT ENFORCED and WITHOUT OVERLAPS / PERIOD (read through to_jsonb so that
       -- the query runs unchanged where the columns do not exist: NULL there)
       (pg_catalog.to_jsonb(con) ->> 'conenforced')::boolean IS FALSE AS not_enforced,
       COALESCE((pg_catalog.to_jsonb(con) ->> 'conperiod')::boolean, false) AS temporal,
       con.coninhcount AS inherited,
       pg_catalog.obj_description(con.oid, 'pg_constraint') AS comment,
       -- what the spec language does not hold: listed by import, never dropped quietly. The
       -- column list of ON DELETE SET NULL / SET DEFAULT is PostgreSQL 15's (read through to_jsonb)
       pg_catalog.array_remove(ARRAY[
         CASE WHEN con.contype = 'c' AND con.connoinherit THEN 'NO INHERIT' END,
         (SELECT 'ON DELETE ' || CASE con.confdeltype WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END || ' ('
                 || pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord) || ')'
          FROM pg_catalog.jsonb_array_elements_text(
                 CASE WHEN pg_catalog.jsonb_typeof(pg_catalog.to_jsonb(con) -> 'confdelsetcols') = 'array'
                      THEN pg_catalog.to_jsonb(con) -> 'confdelsetcols' ELSE '[]' END) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum::int2
          HAVING pg_catalog.count(*) > 0),
         CASE WHEN con.contype IN ('p', 'u') AND pg_catalog.obj_description(con.conindid, 'pg_class') IS NOT NULL
              THEN 'COMMENT ON INDEX ' || pg_catalog.quote_ident((SELECT ic.relname FROM pg_catalog.pg_class ic
                                                                  WHERE ic.oid = con.conindid)) END
       ], NULL) AS unheld
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = con.conindid AND con.contype IN ('p', 'u')
WHERE con.contype IN ('p', 'u', 'c', 'f')
  AND c.relkind IN ('r', 'p')
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
ORDER BY n.nspname, c.relname, con.conname;
