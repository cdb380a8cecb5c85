-- Objects the engagement spec references but does not manage (its `external:`),
-- as a Supabase project provides them. Idempotent: run it on an empty database,
-- then the output of `schemadiff sql examples/engagement/schema` runs after it.
-- A stand-in for Supabase's auth schema: only what the spec touches.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  -- Supabase's service_role also has BYPASSRLS; left out here so that the
  -- spec's "Service role ..." policies are what grants it access in tests.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN;
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS auth;
-- Policies call auth.uid() as the querying role.
GRANT USAGE ON SCHEMA auth TO authenticated, service_role;

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY
);

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
