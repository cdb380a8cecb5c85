-- Indexes of materialized views in the requested schemas, in the shape of
-- indexes.sql (a materialized view has no constraints): one row per index;
-- keys as a JSON array, in key order.
-- The keys of all the indexes are read in one pass (keys), as in indexes.sql.
WITH wanted AS MATERIALIZED (
  SELECT n.nspname AS schema, c.relname AS table_name, ix.*
  FROM pg_catalog.pg_index ix
  JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'm'
    AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
), keys AS (
  SELECT ix.indexrelid, pg_catalog.json_agg(pg_catalog.json_build_object(
            'column', CASE WHEN k.attnum <> 0 THEN ta.attname END,
            'expression', CASE WHEN k.attnum = 0 THEN pg_catalog.pg_get_indexdef(ix.indexrelid, k.ord::int, true) END,
            'desc', (ix.indoption[k.ord - 1] & 1) = 1,
            'nulls_first', (ix.indoption[k.ord - 1] & 2) = 2,
            'opclass', CASE WHEN NOT opc.opcdefault THEN
                          CASE WHEN opn.nspname = 'pg_catalog' THEN opc.opcname ELSE opn.nspname || '.' || opc.opcname END END,
            'collation', CASE WHEN ix.indcollation[k.ord - 1] <> 0
                               AND ix.indcollation[k.ord - 1] <> COALESCE(ta.attcollation, kt.typcollation)
                              THEN ico.collname END)
          ORDER BY k.ord) AS keys
  FROM wanted ix
  CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
  LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = ix.indrelid AND ta.attnum = k.attnum AND k.attnum <> 0
  JOIN pg_catalog.pg_attribute ia ON ia.attrelid = ix.indexrelid AND ia.attnum = k.ord
  JOIN pg_catalog.pg_type kt ON kt.oid = ia.atttypid
  LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = ix.indclass[k.ord - 1]
  LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
  LEFT JOIN pg_catalog.pg_collation ico ON ico.oid = ix.indcollation[k.ord - 1]
  WHERE k.ord <= ix.indnkeyatts
  GROUP BY ix.indexrelid
)
SELECT ix.schema,
       ix.table_name,
       i.relname AS name,
       am.amname AS method,
       ix.indisunique AS is_unique,
       ix.indisvalid AS valid,
       COALESCE(ix.indnullsnotdistinct, false) AS nulls_not_distinct,
       pg_catalog.pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
       ds.description AS comment,
       i.reloptions AS options,
       (SELECT 'TABLESPACE ' || pg_catalog.quote_ident(ts.spcname) FROM pg_catalog.pg_tablespace ts
        WHERE ts.oid = i.reltablespace) AS tablespace,
       keys.keys,
       ARRAY(SELECT ta.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute ta ON ta.attrelid = ix.indrelid AND ta.attnum = k.attnum
             WHERE k.ord > ix.indnkeyatts ORDER BY k.ord) AS include
FROM wanted ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = i.relam
LEFT JOIN keys ON keys.indexrelid = ix.indexrelid
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = i.oid AND ds.objsubid = 0
                                          AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
ORDER BY ix.schema, ix.table_name, i.relname;
