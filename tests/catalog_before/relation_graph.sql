-- Every view and materialized view outside the system schemas (extensions' too),
-- with the relations its rewrite rule depends on (pg_depend: what the server
-- itself records the view reads), and every table with row level security
-- enabled, database-wide. One row per relation; reads as [schema, name] pairs.
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind::text AS relkind,
       c.relrowsecurity AS rls,
       coalesce(c.reloptions, '{}'::text[]) AS options,
       coalesce((SELECT pg_catalog.jsonb_agg(DISTINCT pg_catalog.jsonb_build_array(rn.nspname, r.relname))
                 FROM pg_catalog.pg_rewrite rw
                 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                      AND d.objid = rw.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.refobjid OPERATOR(pg_catalog.<>) c.oid
                 JOIN pg_catalog.pg_class r ON r.oid = d.refobjid
                 JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
                 WHERE rw.ev_class = c.oid), '[]'::jsonb) AS reads
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE (c.relkind IN ('v', 'm') OR (c.relkind IN ('r', 'p') AND c.relrowsecurity))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY n.nspname, c.relname;
