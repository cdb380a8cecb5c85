-- The database BEFORE migration 034_engagement_system.sql (latest applied:
-- 033_fix_deletion_fk_order.sql), reduced to what 034 touches: Supabase's auth
-- stand-in, the shared updated_at trigger function (migration 005) and
-- user_profiles as it stood, without the five columns 034 adds.
-- Standalone: psql -v ON_ERROR_STOP=1 -f existing.sql on an empty database.
-- The user_profiles columns other than id are invented (the seed does not show them).

-- Supabase stand-in (same as prerequisites.sql) -----------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN;
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO authenticated, service_role;

CREATE TABLE IF NOT EXISTS auth.users (
  id uuid PRIMARY KEY
);

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;

-- Migration 005: the updated_at trigger function that 034 reuses -----------
CREATE OR REPLACE FUNCTION public.update_updated_at_column() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$;

-- user_profiles before 034 ------------------------------------------------
CREATE TABLE public.user_profiles (
  id uuid NOT NULL,
  display_name text,
  whatsapp_jid text,
  locale text DEFAULT 'pt-BR' NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT user_profiles_pkey PRIMARY KEY (id),
  CONSTRAINT user_profiles_id_fkey FOREIGN KEY (id) REFERENCES auth.users (id) ON DELETE CASCADE
);

COMMENT ON TABLE public.user_profiles IS 'One profile per Supabase auth user.';
COMMENT ON COLUMN public.user_profiles.whatsapp_jid IS 'The user''s own WhatsApp JID (individual chat).';

CREATE TRIGGER update_user_profiles_updated_at
  BEFORE UPDATE ON public.user_profiles
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

ALTER TABLE public.user_profiles ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Users can view own profile" ON public.user_profiles
  FOR SELECT TO authenticated USING (auth.uid() = id);

CREATE POLICY "Users can update own profile" ON public.user_profiles
  FOR UPDATE TO authenticated USING (auth.uid() = id) WITH CHECK (auth.uid() = id);
