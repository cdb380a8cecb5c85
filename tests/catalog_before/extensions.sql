-- Installed extensions (database-wide), except the always-present plpgsql.
SELECT e.extname AS name,
       n.nspname AS schema
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname;
