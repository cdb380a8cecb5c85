-- The database as it stood before C.A.R.E. PR1 (migration 116): the tenant
-- table and the lead / contact / account entities the new tables point at
-- (through entity_type + entity_id), and the role the app's users connect as.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END
$$;

CREATE TABLE public.tenant (
  id uuid PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE public.lead (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenant (id) ON DELETE CASCADE,
  name text NOT NULL,
  email text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.contact (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenant (id) ON DELETE CASCADE,
  name text NOT NULL,
  email text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.account (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenant (id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX lead_tenant_id_idx ON public.lead (tenant_id);
CREATE INDEX contact_tenant_id_idx ON public.contact (tenant_id);
CREATE INDEX account_tenant_id_idx ON public.account (tenant_id);
