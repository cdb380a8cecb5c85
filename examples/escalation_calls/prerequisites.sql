-- Objects the escalation_calls spec references but does not manage: none.
-- All twelve tables are the spec's own, every FK points inside it, and gen_random_uuid()
-- is built into PostgreSQL 13+ (no pgcrypto extension needed).
SELECT 1 AS no_prerequisites \g /dev/null
