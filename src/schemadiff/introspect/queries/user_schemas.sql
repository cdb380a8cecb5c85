-- The schemas `import --all-schemas` reads: every schema but the system ones
-- (pg_catalog, pg_toast, pg_temp_N..., every name starting pg_, and
-- information_schema) and those an extension created (CREATE EXTENSION ... SCHEMA
-- made by the extension's script, pg_depend deptype 'e'). Needs no setting.
SELECT n.nspname AS name
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_'
  AND n.nspname <> 'information_schema'
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY n.nspname;
