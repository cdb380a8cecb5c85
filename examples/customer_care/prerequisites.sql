-- Objects the customer_care spec references but does not manage
-- (declared under `external:` in schema/schemadiff.yaml). Idempotent.
CREATE TABLE IF NOT EXISTS public.tenant (
  id uuid PRIMARY KEY,
  name text NOT NULL
);

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END
$$;
