-- The checks of seed 001's smoke test (116_customer_care_state_smoke_test.sql),
-- run after prerequisites.sql and `schemadiff sql`. Any failed check raises,
-- so `psql -v ON_ERROR_STOP=1 -f smoke.sql` exits non-zero. Leaves no data.
BEGIN;

INSERT INTO public.tenant (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'smoke');

-- 1. A valid insert succeeds; 2. hands_off_enabled defaults to false.
DO $$
DECLARE
  hands_off boolean;
BEGIN
  INSERT INTO public.customer_care_state (tenant_id, entity_type, entity_id, care_state)
  VALUES ('00000000-0000-0000-0000-000000000001', 'lead', '00000000-0000-0000-0000-0000000000a1', 'aware')
  RETURNING hands_off_enabled INTO hands_off;
  IF hands_off IS DISTINCT FROM false THEN
    RAISE EXCEPTION 'smoke: hands_off_enabled defaulted to %, expected false', hands_off;
  END IF;
END
$$;

-- 3. An invalid care_state is rejected.
DO $$
BEGIN
  INSERT INTO public.customer_care_state (tenant_id, entity_type, entity_id, care_state)
  VALUES ('00000000-0000-0000-0000-000000000001', 'lead', gen_random_uuid(), 'confused');
  RAISE EXCEPTION 'smoke: invalid care_state was accepted';
EXCEPTION WHEN check_violation THEN
  NULL;
END
$$;

-- 4. An invalid entity_type is rejected.
DO $$
BEGIN
  INSERT INTO public.customer_care_state (tenant_id, entity_type, entity_id, care_state)
  VALUES ('00000000-0000-0000-0000-000000000001', 'opportunity', gen_random_uuid(), 'aware');
  RAISE EXCEPTION 'smoke: invalid entity_type was accepted';
EXCEPTION WHEN check_violation THEN
  NULL;
END
$$;

-- An escalation_status outside (open, closed) is rejected; NULL is allowed.
DO $$
BEGIN
  INSERT INTO public.customer_care_state (tenant_id, entity_type, entity_id, care_state, escalation_status)
  VALUES ('00000000-0000-0000-0000-000000000001', 'account', gen_random_uuid(), 'aware', 'pending');
  RAISE EXCEPTION 'smoke: invalid escalation_status was accepted';
EXCEPTION WHEN check_violation THEN
  NULL;
END
$$;

-- 5. A duplicate (tenant, entity_type, entity_id) is rejected.
DO $$
BEGIN
  INSERT INTO public.customer_care_state (tenant_id, entity_type, entity_id, care_state)
  VALUES ('00000000-0000-0000-0000-000000000001', 'lead', '00000000-0000-0000-0000-0000000000a1', 'engaged');
  RAISE EXCEPTION 'smoke: duplicate (tenant, entity) was accepted';
EXCEPTION WHEN unique_violation THEN
  NULL;
END
$$;

-- 6. A history insert succeeds; actor_type defaults to 'system'; bad actor_type rejected.
DO $$
DECLARE
  actor text;
BEGIN
  INSERT INTO public.customer_care_state_history (tenant_id, entity_type, entity_id, to_state, event_type, reason)
  VALUES ('00000000-0000-0000-0000-000000000001', 'lead', '00000000-0000-0000-0000-0000000000a1', 'aware',
          'state_applied', 'smoke test')
  RETURNING actor_type INTO actor;
  IF actor IS DISTINCT FROM 'system' THEN
    RAISE EXCEPTION 'smoke: actor_type defaulted to %, expected system', actor;
  END IF;
  BEGIN
    INSERT INTO public.customer_care_state_history (tenant_id, entity_type, entity_id, event_type, reason, actor_type)
    VALUES ('00000000-0000-0000-0000-000000000001', 'lead', gen_random_uuid(), 'state_applied', 'smoke', 'robot');
    RAISE EXCEPTION 'smoke: invalid actor_type was accepted';
  EXCEPTION WHEN check_violation THEN
    NULL;
  END;
END
$$;

-- 7./8. The indexes exist (DESC and partial ones with their predicates).
DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(name, ', ') INTO missing
  FROM unnest(ARRAY[
    'idx_customer_care_state_tenant_state', 'idx_customer_care_state_hands_off',
    'idx_customer_care_state_escalation', 'idx_customer_care_history_tenant_entity_time',
    'idx_customer_care_history_tenant_time', 'idx_customer_care_history_event_type',
    'idx_customer_care_history_actor']) AS name
  WHERE NOT EXISTS (SELECT FROM pg_indexes WHERE schemaname = 'public' AND indexname = name);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: missing indexes: %', missing;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_indexes WHERE indexname = 'idx_customer_care_state_hands_off'
                 AND indexdef LIKE '%WHERE (hands_off_enabled = true)') THEN
    RAISE EXCEPTION 'smoke: idx_customer_care_state_hands_off is not partial on hands_off_enabled';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_indexes WHERE indexname = 'idx_customer_care_history_tenant_time'
                 AND indexdef LIKE '%created_at DESC%') THEN
    RAISE EXCEPTION 'smoke: idx_customer_care_history_tenant_time is not DESC on created_at';
  END IF;
END
$$;

-- 9./10. RLS is enabled on both tables, and isolates tenants.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_class WHERE oid IN ('public.customer_care_state'::regclass,
             'public.customer_care_state_history'::regclass) AND NOT relrowsecurity) THEN
    RAISE EXCEPTION 'smoke: row level security is not enabled on both tables';
  END IF;
END
$$;

GRANT SELECT ON public.customer_care_state TO authenticated;
DO $$ BEGIN PERFORM set_config('app.current_tenant_id', '00000000-0000-0000-0000-000000000002', true); END $$;
SET LOCAL ROLE authenticated;
DO $$
BEGIN
  IF EXISTS (SELECT FROM public.customer_care_state) THEN
    RAISE EXCEPTION 'smoke: a tenant sees another tenant''s C.A.R.E. state';
  END IF;
  PERFORM set_config('app.current_tenant_id', '00000000-0000-0000-0000-000000000001', true);
  IF NOT EXISTS (SELECT FROM public.customer_care_state) THEN
    RAISE EXCEPTION 'smoke: a tenant does not see its own C.A.R.E. state';
  END IF;
END
$$;
RESET ROLE;

ROLLBACK;
