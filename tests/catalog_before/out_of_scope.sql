-- Objects of the requested schemas that the spec language does not cover yet.
-- schemadiff never manages them; import lists each one so nothing is dropped
-- from the picture silently. Extension members are the extension's. Sequences
-- are read by sequences.sql (one owned by a column of a table not read is listed
-- as out of scope there).
WITH wanted AS (
  SELECT jsonb_array_elements_text(current_setting('schemadiff.schemas')::jsonb) AS nspname
), ext_members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
)
SELECT kind, schema, name FROM (
  SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                        WHEN 'p' THEN 'partitioned table' WHEN 'r' THEN
                          CASE WHEN c.relispartition THEN 'partition'
                               WHEN c.reloftype <> 0 THEN 'typed table'
                               ELSE 'inheriting table' END
                        END AS kind,
         n.nspname AS schema, c.relname AS name
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN (SELECT nspname FROM wanted)
    AND (c.relkind IN ('v', 'm', 'f', 'p')
         OR (c.relkind = 'r' AND (c.relispartition OR c.reloftype <> 0
                                  OR EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid))))
    AND (c.oid NOT IN (SELECT objid FROM ext_members WHERE classid = 'pg_catalog.pg_class'::regclass))
  UNION ALL
  SELECT CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                        WHEN 'w' THEN 'window function' END,
         n.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname IN (SELECT nspname FROM wanted)
    AND p.oid NOT IN (SELECT objid FROM ext_members WHERE classid = 'pg_catalog.pg_proc'::regclass)
  UNION ALL
  SELECT 'trigger', n.nspname, t.tgname || ' on ' || c.relname
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT t.tgisinternal AND n.nspname IN (SELECT nspname FROM wanted)
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type' WHEN 'c' THEN 'composite type'
                        WHEN 'b' THEN 'base type' WHEN 'm' THEN 'multirange type' END,
         n.nspname, t.typname
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
  WHERE n.nspname IN (SELECT nspname FROM wanted)
    AND (t.typtype IN ('d', 'r', 'm') OR (t.typtype = 'c' AND c.relkind = 'c')
         OR (t.typtype = 'b' AND t.typcategory <> 'A'))
    AND t.oid NOT IN (SELECT objid FROM ext_members WHERE classid = 'pg_catalog.pg_type'::regclass)
    AND NOT (t.typtype = 'm' AND EXISTS (SELECT FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid))
  UNION ALL
  SELECT 'rule', n.nspname, r.rulename || ' on ' || c.relname
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE r.rulename <> '_RETURN' AND n.nspname IN (SELECT nspname FROM wanted)
  UNION ALL
  SELECT 'exclusion constraint', n.nspname, con.conname || ' on ' || c.relname
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE con.contype = 'x' AND n.nspname IN (SELECT nspname FROM wanted)  -- a constraint trigger ('t'): as its trigger
  UNION ALL
  -- privileges granted on a relation to another role than its owner (GRANT ... ON TABLE/SEQUENCE/VIEW)
  SELECT 'grant', n.nspname,
         c.relname || ' (' || string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) || ') to '
           || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
  WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner
    AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND n.nspname IN (SELECT nspname FROM wanted)
    AND c.oid NOT IN (SELECT objid FROM ext_members WHERE classid = 'pg_catalog.pg_class'::regclass)
  GROUP BY n.nspname, c.relname, a.grantee, r.rolname
  UNION ALL
  SELECT 'default privileges', n.nspname,
         CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                              WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE d.defaclobjtype::text END
           || ' created by ' || pg_catalog.quote_ident(r.rolname)
  FROM pg_catalog.pg_default_acl d
  JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
  JOIN pg_catalog.pg_roles r ON r.oid = d.defaclrole
  WHERE n.nspname IN (SELECT nspname FROM wanted)
  UNION ALL
  SELECT 'statistics object', n.nspname, s.stxname
  FROM pg_catalog.pg_statistic_ext s
  JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
  WHERE n.nspname IN (SELECT nspname FROM wanted)
) o
ORDER BY schema, kind, name;
