-- schemadiff plan of examples/customer_care/schema against <database>
-- schemadiff plan (schemadiff.plan/v1): 18 statement(s) in 1 phase(s)
-- made against database state sha256:<masked>
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

-- phase 1/1: transactional (one transaction)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- [SD105] table public.customer_care_state: create table (10 columns, primary key, 5 constraints, 3 indexes, row level security, 1 policy)
CREATE TABLE public.customer_care_state (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id uuid NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  care_state text NOT NULL,
  hands_off_enabled boolean DEFAULT false NOT NULL,
  escalation_status text,
  last_signal_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT customer_care_state_pkey PRIMARY KEY (id),
  CONSTRAINT customer_care_state_tenant_id_entity_type_entity_id_key UNIQUE (tenant_id, entity_type, entity_id),
  CONSTRAINT customer_care_state_care_state_check CHECK (care_state IN ('unaware', 'aware', 'engaged', 'evaluating', 'committed', 'active', 'at_risk', 'dormant', 'reactivated', 'lost')),
  CONSTRAINT customer_care_state_entity_type_check CHECK (entity_type IN ('lead', 'contact', 'account')),
  CONSTRAINT customer_care_state_escalation_status_check CHECK (escalation_status IS NULL OR escalation_status IN ('open', 'closed')),
  CONSTRAINT customer_care_state_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenant (id) ON DELETE CASCADE
);

-- [SD105] table public.customer_care_state_history: create table (12 columns, primary key, 3 constraints, 4 indexes, row level security, 1 policy)
CREATE TABLE public.customer_care_state_history (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id uuid NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  from_state text,
  to_state text,
  event_type text NOT NULL,
  reason text NOT NULL,
  meta jsonb,
  actor_type text DEFAULT 'system' NOT NULL,
  actor_id text,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT customer_care_state_history_pkey PRIMARY KEY (id),
  CONSTRAINT customer_care_state_history_actor_type_check CHECK (actor_type IN ('system', 'user', 'agent')),
  CONSTRAINT customer_care_state_history_entity_type_check CHECK (entity_type IN ('lead', 'contact', 'account')),
  CONSTRAINT customer_care_state_history_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenant (id) ON DELETE CASCADE
);

-- [SD105] table public.customer_care_state: create table: index idx_customer_care_state_escalation
CREATE INDEX idx_customer_care_state_escalation ON public.customer_care_state (tenant_id, escalation_status) WHERE escalation_status IS NOT NULL;

-- [SD105] table public.customer_care_state: create table: index idx_customer_care_state_hands_off
CREATE INDEX idx_customer_care_state_hands_off ON public.customer_care_state (tenant_id) WHERE hands_off_enabled = true;

-- [SD105] table public.customer_care_state: create table: index idx_customer_care_state_tenant_state
CREATE INDEX idx_customer_care_state_tenant_state ON public.customer_care_state (tenant_id, care_state);

-- [SD105] table public.customer_care_state: create table: row level security
ALTER TABLE public.customer_care_state ENABLE ROW LEVEL SECURITY;

-- [SD105] table public.customer_care_state: create table: policy customer_care_state_tenant_isolation
CREATE POLICY customer_care_state_tenant_isolation ON public.customer_care_state TO authenticated USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

-- [SD105] table public.customer_care_state: create table: comment on the table
COMMENT ON TABLE public.customer_care_state IS 'Current C.A.R.E. state, one row per (tenant, entity_type, entity_id).';

-- [SD105] table public.customer_care_state: create table: comment on column hands_off_enabled
COMMENT ON COLUMN public.customer_care_state.hands_off_enabled IS 'Hands-Off Mode; false until a tenant opts in.';

-- [SD105] table public.customer_care_state_history: create table: index idx_customer_care_history_actor
CREATE INDEX idx_customer_care_history_actor ON public.customer_care_state_history (tenant_id, actor_id) WHERE actor_id IS NOT NULL;

-- [SD105] table public.customer_care_state_history: create table: index idx_customer_care_history_event_type
CREATE INDEX idx_customer_care_history_event_type ON public.customer_care_state_history (tenant_id, event_type, created_at DESC);

-- [SD105] table public.customer_care_state_history: create table: index idx_customer_care_history_tenant_entity_time
CREATE INDEX idx_customer_care_history_tenant_entity_time ON public.customer_care_state_history (tenant_id, entity_type, entity_id, created_at DESC);

-- [SD105] table public.customer_care_state_history: create table: index idx_customer_care_history_tenant_time
CREATE INDEX idx_customer_care_history_tenant_time ON public.customer_care_state_history (tenant_id, created_at DESC);

-- [SD105] table public.customer_care_state_history: create table: row level security
ALTER TABLE public.customer_care_state_history ENABLE ROW LEVEL SECURITY;

-- [SD105] table public.customer_care_state_history: create table: policy customer_care_state_history_tenant_isolation
CREATE POLICY customer_care_state_history_tenant_isolation ON public.customer_care_state_history TO authenticated USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid) WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true)::uuid);

-- [SD105] table public.customer_care_state_history: create table: comment on the table
COMMENT ON TABLE public.customer_care_state_history IS 'Audit trail of C.A.R.E. state transitions and decisions.';

-- [SD105] table public.customer_care_state_history: create table: comment on column event_type
COMMENT ON COLUMN public.customer_care_state_history.event_type IS 'state_proposed, state_applied, escalation_opened, escalation_closed, action_candidate';

-- [SD105] table public.customer_care_state_history: create table: comment on column reason
COMMENT ON COLUMN public.customer_care_state_history.reason IS 'Why the transition or decision happened (explainability).';

COMMIT;
