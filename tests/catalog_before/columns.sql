-- Columns of those tables, in column order. Types and expressions are the
-- server's own text (format_type, pg_get_expr); run with search_path =
-- pg_catalog so every non-built-in name comes out schema-qualified.
SELECT n.nspname AS schema,
       c.relname AS table_name,
       a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr,
       a.attidentity AS identity,
       a.attgenerated AS generated_kind,
       CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS generated_expr,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname ELSE cn.nspname || '.' || co.collname END
       END AS collation,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN cn.nspname END AS collation_schema,
       pg_catalog.col_description(c.oid, a.attnum) AS comment,
       bt.typtype AS base_typtype,
       bt.typname AS base_typname,
       bn.nspname AS base_typschema,
       -- what the spec language does not hold: listed by import, never dropped quietly
       pg_catalog.array_remove(ARRAY[
         CASE WHEN a.attstorage <> t.typstorage
              THEN 'SET STORAGE ' || CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL'
                                                       WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
         CASE WHEN a.attcompression IN ('p', 'l')
              THEN 'SET COMPRESSION ' || CASE a.attcompression WHEN 'p' THEN 'pglz' ELSE 'lz4' END END,
         CASE WHEN COALESCE(a.attstattarget::int, -1) >= 0 THEN 'SET STATISTICS ' || a.attstattarget::text END,
         CASE WHEN a.attoptions IS NOT NULL THEN 'SET (' || pg_catalog.array_to_string(a.attoptions, ', ') || ')' END,
         -- an identity column's sequence options other than CREATE TABLE's (its name: identity_sequence)
         (SELECT 'IDENTITY (' || pg_catalog.concat_ws(' ',
                   CASE WHEN sq.seqtypid <> a.atttypid THEN 'AS ' || pg_catalog.format_type(sq.seqtypid, NULL) END,
                   CASE WHEN sq.seqstart <> CASE WHEN sq.seqincrement > 0 THEN sq.seqmin ELSE sq.seqmax END
                        THEN 'START WITH ' || sq.seqstart END,
                   CASE WHEN sq.seqincrement <> 1 THEN 'INCREMENT BY ' || sq.seqincrement END,
                   CASE WHEN sq.seqmin <> CASE WHEN sq.seqincrement > 0 THEN 1 ELSE bound.low END
                        THEN 'MINVALUE ' || sq.seqmin END,
                   CASE WHEN sq.seqmax <> CASE WHEN sq.seqincrement > 0 THEN bound.high ELSE -1 END
                        THEN 'MAXVALUE ' || sq.seqmax END,
                   CASE WHEN sq.seqcache <> 1 THEN 'CACHE ' || sq.seqcache END,
                   CASE WHEN sq.seqcycle THEN 'CYCLE' END) || ')'
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_class s ON s.oid = d.objid
          JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
          CROSS JOIN LATERAL (SELECT CASE sq.seqtypid WHEN 'pg_catalog.int2'::regtype THEN -32768
                                                      WHEN 'pg_catalog.int4'::regtype THEN -2147483648
                                                      ELSE -9223372036854775808 END AS low,
                                     CASE sq.seqtypid WHEN 'pg_catalog.int2'::regtype THEN 32767
                                                      WHEN 'pg_catalog.int4'::regtype THEN 2147483647
                                                      ELSE 9223372036854775807 END AS high) bound
          WHERE a.attidentity <> '' AND d.classid = 'pg_catalog.pg_class'::regclass
            AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid
            AND d.refobjsubid = a.attnum AND d.deptype = 'i' AND s.relkind = 'S'
            AND (sq.seqtypid <> a.atttypid
                 OR sq.seqstart <> CASE WHEN sq.seqincrement > 0 THEN sq.seqmin ELSE sq.seqmax END
                 OR sq.seqincrement <> 1 OR sq.seqcache <> 1 OR sq.seqcycle
                 OR sq.seqmin <> CASE WHEN sq.seqincrement > 0 THEN 1 ELSE bound.low END
                 OR sq.seqmax <> CASE WHEN sq.seqincrement > 0 THEN bound.high ELSE -1 END))
       ], NULL) AS unheld,
       (SELECT s.relname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid
        WHERE a.attidentity <> '' AND d.classid = 'pg_catalog.pg_class'::regclass
          AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid
          AND d.refobjsubid = a.attnum AND d.deptype = 'i' AND s.relkind = 'S') AS identity_sequence,
       -- PostgreSQL 18 catalogs NOT NULL as a constraint: its name, NO INHERIT, NOT VALID (none before 18)
       (SELECT pg_catalog.jsonb_build_object('name', nn.conname, 'no_inherit', nn.connoinherit,
                                             'validated', nn.convalidated)
        FROM pg_catalog.pg_constraint nn
        WHERE nn.conrelid = c.oid AND nn.contype = 'n' AND nn.conkey[1] = a.attnum) AS not_null_constraint,
       -- the sequences the column owns (a serial column's, or one set OWNED BY it),
       -- with what tells a serial's from any other: name, type and options
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                 'schema', sn.nspname, 'name', s.relname, 'type', pg_catalog.format_type(sq.seqtypid, NULL),
                 'start', sq.seqstart::text, 'increment', sq.seqincrement::text, 'min', sq.seqmin::text,
                 'max', sq.seqmax::text, 'cache', sq.seqcache::text, 'cycle', sq.seqcycle)
                 ORDER BY s.relname)
        FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_class s ON s.oid = d.objid
        JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
        JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
        WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid AND d.refobjsubid = a.attnum
          AND d.classid = 'pg_catalog.pg_class'::regclass AND s.relkind = 'S' AND d.deptype = 'a') AS owned_sequences
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
-- the element type for arrays, to tell domains and composites apart
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typelem <> 0 AND t.typlen = -1 AND t.typcategory = 'A' THEN t.typelem ELSE t.oid END
JOIN pg_catalog.pg_namespace bn ON bn.oid = bt.typnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname IN (SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb))
ORDER BY n.nspname, c.relname, a.attnum;
