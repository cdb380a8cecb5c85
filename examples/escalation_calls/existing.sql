-- The database as it stood before seed 004 ("client escalation calls") was applied.
-- This is a brand-new system: the database is empty, so there is nothing to create here.
-- (The uuid defaults use gen_random_uuid(), built into PostgreSQL 13+: no extension either.)
SELECT 1 AS empty_database \g /dev/null
