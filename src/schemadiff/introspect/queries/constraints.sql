-- Primary key, unique, check and foreign-key constraints (contype p, u, c, f)
-- of tables in the requested schemas. NOT NULL constraints (contype n, catalogued
-- since PostgreSQL 18) are columns' nullability, not constraints here; exclusion
-- constraints are listed by out_of_scope.sql.
-- Cost (docs/performance.md, round 4): comments come from joins with
-- pg_description, not obj_description (an SQL function run once per row); key
-- columns are looked up by (table, attnum) one at a time; and the whole row as
-- JSON (to_jsonb, the only way to read PostgreSQL 18's columns in a query that
-- also runs on 15) is built only for the constraints where those columns can
-- say anything (see not_enforced and temporal below), by oid, so that no whole
-- row (with conbin) is carried through the plan.
SELECT * FROM (
SELECT n.nspname AS schema,
       c.relname AS table_name,
       con.conname AS name,
       con.contype AS type,
       ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = con.conrelid AND a.attnum = k.attnum)
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ORDER BY k.ord) AS columns,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END AS expression,
       con.connoinherit AS no_inherit,
       con.convalidated AS validated,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
             FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) ORDER BY k.ord) AS ref_columns,
       con.confdeltype AS on_delete,
       con.confupdtype AS on_update,
       con.confmatchtype AS match_type,
       COALESCE(ix.indnullsnotdistinct, false) AS nulls_not_distinct,
       CASE WHEN ix.indexrelid IS NOT NULL THEN ki.reloptions END AS index_options,
       -- PostgreSQL 18's NOT ENFORCED and WITHOUT OVERLAPS / PERIOD, read through to_jsonb so that
       -- the query runs unchanged where the columns do not exist (NULL there). A NOT ENFORCED
       -- constraint is never validated (PostgreSQL refuses to VALIDATE one), and WITHOUT
       -- OVERLAPS / PERIOD needs a key index that is not a btree (GiST): any other constraint
       -- reads as enforced and not temporal without building its JSON.
       CASE WHEN (NOT con.convalidated OR (con.contype IN ('p', 'u', 'f') AND kam.amname IS DISTINCT FROM 'btree'))
            THEN (SELECT (pg_catalog.to_jsonb(x) ->> 'conenforced')::boolean IS FALSE
                  FROM pg_catalog.pg_constraint x WHERE x.oid = con.oid) ELSE false END AS not_enforced,
       CASE WHEN (NOT con.convalidated OR (con.contype IN ('p', 'u', 'f') AND kam.amname IS DISTINCT FROM 'btree'))
            THEN (SELECT COALESCE((pg_catalog.to_jsonb(x) ->> 'conperiod')::boolean, false)
                  FROM pg_catalog.pg_constraint x WHERE x.oid = con.oid) ELSE false END AS temporal,
       con.coninhcount AS inherited,
       ds.description AS comment,
       -- what the spec language does not hold: listed by import, never dropped quietly. The
       -- column list of ON DELETE SET NULL / SET DEFAULT is PostgreSQL 15's (confdelsetcols)
       pg_catalog.array_remove(ARRAY[
         CASE WHEN con.contype = 'c' AND con.connoinherit THEN 'NO INHERIT' END,
         (SELECT 'ON DELETE ' || CASE con.confdeltype WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END || ' ('
                 || pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord) || ')'
          FROM unnest(con.confdelsetcols) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
          HAVING pg_catalog.count(*) > 0),
         CASE WHEN con.contype IN ('p', 'u') AND ids.description IS NOT NULL
              THEN 'COMMENT ON INDEX ' || pg_catalog.quote_ident(ki.relname) END
       ], NULL) AS unheld
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = con.conindid AND con.contype IN ('p', 'u')
-- the key's index: its own for p and u, the referenced one for f
LEFT JOIN pg_catalog.pg_class ki ON ki.oid = con.conindid
LEFT JOIN pg_catalog.pg_am kam ON kam.oid = ki.relam
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = con.oid AND ds.objsubid = 0
                                       AND ds.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
LEFT JOIN pg_catalog.pg_description ids ON ids.objoid = con.conindid AND ids.objsubid = 0
                                        AND ids.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
WHERE con.contype IN ('p', 'u', 'c', 'f')
  AND c.relkind IN ('r', 'p')
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
OFFSET 0) AS r  -- every value computed before the sort, which then moves only them
ORDER BY schema, table_name, name;
