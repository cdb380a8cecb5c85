-- Smoke test of migration 034 (the seed's Task 7), run after prerequisites.sql
-- and the output of `schemadiff sql examples/engagement/schema`.
-- Every check RAISEs on failure, so `psql -v ON_ERROR_STOP=1 -f smoke.sql`
-- exits non-zero. Everything happens in one transaction that is rolled back.
\set ON_ERROR_STOP on
BEGIN;

-- expect_error(statement, SQLSTATE, constraint): the statement must fail with
-- that SQLSTATE (and, when given, on that constraint).
CREATE FUNCTION pg_temp.expect_error(stmt text, state text, cons text DEFAULT NULL)
  RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  got_state text;
  got_cons text;
BEGIN
  BEGIN
    EXECUTE stmt;
  EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS got_state = RETURNED_SQLSTATE, got_cons = CONSTRAINT_NAME;
  END;
  IF got_state IS NULL THEN
    RAISE EXCEPTION 'smoke: accepted, expected SQLSTATE % (%): %', state, cons, stmt;
  END IF;
  IF got_state <> state OR (cons IS NOT NULL AND got_cons IS DISTINCT FROM cons) THEN
    RAISE EXCEPTION 'smoke: failed with % (%), expected % (%): %', got_state, got_cons, state, cons, stmt;
  END IF;
END $$;

CREATE FUNCTION pg_temp.expect(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN RAISE EXCEPTION 'smoke: %', what; END IF;
END $$;

-- 1. Tables and columns (AC-2..AC-5) -----------------------------------------
DO $$
DECLARE
  want record;
  got text;
BEGIN
  FOR want IN SELECT * FROM (VALUES
    ('user_engagement_states',
     'id uuid, user_id uuid, state text, last_activity_at timestamp with time zone, '
     'goodbye_sent_at timestamp with time zone, goodbye_expires_at timestamp with time zone, '
     'remind_at timestamp with time zone, created_at timestamp with time zone, '
     'updated_at timestamp with time zone'),
    ('engagement_state_transitions',
     'id uuid, user_id uuid, from_state text, to_state text, trigger text, metadata jsonb, '
     'created_at timestamp with time zone'),
    ('engagement_message_queue',
     'id uuid, user_id uuid, message_type text, message_key text, message_params jsonb, '
     'destination text, destination_jid text, scheduled_for timestamp with time zone, '
     'sent_at timestamp with time zone, status text, retry_count integer, error_message text, '
     'idempotency_key text, created_at timestamp with time zone'),
    ('user_profiles',
     'id uuid, display_name text, whatsapp_jid text, locale text, '
     'created_at timestamp with time zone, updated_at timestamp with time zone, '
     'preferred_destination text, reengagement_opt_out boolean, onboarding_tier integer, '
     'onboarding_tier_progress jsonb, magic_moment_at timestamp with time zone')
  ) AS t(tab, cols)
  LOOP
    SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
      INTO got
      FROM pg_attribute a
     WHERE a.attrelid = ('public.' || want.tab)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    PERFORM pg_temp.expect(got = want.cols, format('columns of %s: got [%s]', want.tab, got));
  END LOOP;
END $$;

-- 2. Indexes (AC-6, Tasks 2-4), incl. the partial predicates ----------------
DO $$
DECLARE
  want record;
  got text;
BEGIN
  FOR want IN SELECT * FROM (VALUES
    ('idx_user_engagement_states_state',            'user_engagement_states',       NULL),
    ('idx_user_engagement_states_last_activity',    'user_engagement_states',       NULL),
    ('idx_user_engagement_states_goodbye_expires',  'user_engagement_states',       '(goodbye_expires_at IS NOT NULL)'),
    ('idx_user_engagement_states_remind_at',        'user_engagement_states',       '(remind_at IS NOT NULL)'),
    ('user_engagement_states_user_id_key',          'user_engagement_states',       NULL),
    ('idx_engagement_state_transitions_user_id',    'engagement_state_transitions', NULL),
    ('idx_engagement_state_transitions_created_at', 'engagement_state_transitions', NULL),
    ('idx_engagement_message_queue_pending_status', 'engagement_message_queue',     '(status = ''pending''::text)'),
    ('idx_engagement_message_queue_pending_scheduled', 'engagement_message_queue',  '(status = ''pending''::text)'),
    ('engagement_message_queue_idempotency_key_key', 'engagement_message_queue',    NULL)
  ) AS t(idx, tab, pred)
  LOOP
    PERFORM pg_temp.expect(to_regclass('public.' || want.idx) IS NOT NULL, 'missing index ' || want.idx);
    SELECT pg_get_expr(i.indpred, i.indrelid) INTO got
      FROM pg_index i WHERE i.indexrelid = ('public.' || want.idx)::regclass
       AND i.indrelid = ('public.' || want.tab)::regclass;
    PERFORM pg_temp.expect(got IS NOT DISTINCT FROM want.pred,
                           format('predicate of %s: got %s, want %s', want.idx, got, want.pred));
  END LOOP;
END $$;

-- 3. RLS enabled, policies present (AC-7), comments present ------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['user_engagement_states', 'engagement_state_transitions', 'engagement_message_queue'] LOOP
    PERFORM pg_temp.expect((SELECT relrowsecurity FROM pg_class WHERE oid = ('public.' || t)::regclass), 'RLS off on ' || t);
    PERFORM pg_temp.expect(obj_description(('public.' || t)::regclass, 'pg_class') IS NOT NULL, 'no comment on ' || t);
  END LOOP;
  PERFORM pg_temp.expect(
    (SELECT string_agg(tablename || ': ' || policyname || ' ' || cmd || ' ' || array_to_string(roles, ','), '; ' ORDER BY tablename, policyname)
       FROM pg_policies WHERE schemaname = 'public' AND tablename <> 'user_profiles')
    = 'engagement_message_queue: Service role only ALL service_role; '
      'engagement_state_transitions: Service role can manage all transitions ALL service_role; '
      'engagement_state_transitions: Users can view own transitions SELECT authenticated; '
      'user_engagement_states: Service role can manage all engagement states ALL service_role; '
      'user_engagement_states: Users can view own engagement state SELECT authenticated',
    'policies differ');
END $$;

-- Test data, written as the superuser (not subject to RLS) -------------------
INSERT INTO auth.users (id) VALUES
  ('11111111-1111-1111-1111-111111111111'),
  ('22222222-2222-2222-2222-222222222222'),
  ('33333333-3333-3333-3333-333333333333');
INSERT INTO public.user_profiles (id, display_name) VALUES
  ('11111111-1111-1111-1111-111111111111', 'Ana'),
  ('22222222-2222-2222-2222-222222222222', 'Bruno'),
  ('33333333-3333-3333-3333-333333333333', 'Carla');
INSERT INTO public.user_engagement_states (user_id) VALUES
  ('11111111-1111-1111-1111-111111111111'),
  ('22222222-2222-2222-2222-222222222222'),
  ('33333333-3333-3333-3333-333333333333');
-- The updated_at triggers (034's new one and user_profiles' existing one) move updated_at on UPDATE
-- (now() is fixed within this transaction, so the rows' updated_at is first put in the past).
ALTER TABLE public.user_engagement_states DISABLE TRIGGER USER;
ALTER TABLE public.user_profiles DISABLE TRIGGER USER;
UPDATE public.user_engagement_states SET updated_at = '2000-01-01';
UPDATE public.user_profiles SET updated_at = '2000-01-01';
ALTER TABLE public.user_engagement_states ENABLE TRIGGER USER;
ALTER TABLE public.user_profiles ENABLE TRIGGER USER;
UPDATE public.user_engagement_states SET state = state;
UPDATE public.user_profiles SET display_name = display_name;
DO $$
BEGIN
  IF EXISTS (SELECT FROM public.user_engagement_states WHERE updated_at <> now()) THEN
    RAISE EXCEPTION 'smoke: an UPDATE on user_engagement_states did not move updated_at';
  END IF;
  IF EXISTS (SELECT FROM public.user_profiles WHERE updated_at <> now()) THEN
    RAISE EXCEPTION 'smoke: an UPDATE on user_profiles did not move updated_at';
  END IF;
END $$;
INSERT INTO public.engagement_state_transitions (user_id, from_state, to_state, trigger) VALUES
  ('11111111-1111-1111-1111-111111111111', NULL, 'active', 'first_message'),
  ('11111111-1111-1111-1111-111111111111', 'active', 'goodbye_sent', 'inactivity'),
  ('22222222-2222-2222-2222-222222222222', NULL, 'active', 'first_message'),
  ('33333333-3333-3333-3333-333333333333', NULL, 'active', 'first_message');
INSERT INTO public.engagement_message_queue
  (user_id, message_type, message_key, destination, destination_jid, scheduled_for, idempotency_key) VALUES
  ('11111111-1111-1111-1111-111111111111', 'goodbye', 'engagement.goodbye', 'individual', '5511900000001@s.whatsapp.net', now(), 'goodbye:1111:2025-11-21'),
  ('22222222-2222-2222-2222-222222222222', 'welcome', 'engagement.welcome', 'group', '120363000000000001@g.us', now(), 'welcome:2222'),
  ('33333333-3333-3333-3333-333333333333', 'welcome', 'engagement.welcome', 'individual', '5511900000003@s.whatsapp.net', now(), 'welcome:3333');

-- 4. Defaults (Task 5, Dev Notes) ---------------------------------------------
DO $$
BEGIN
  PERFORM pg_temp.expect(
    (SELECT preferred_destination = 'individual' AND reengagement_opt_out = false AND onboarding_tier = 0
            AND onboarding_tier_progress = '{}'::jsonb AND magic_moment_at IS NULL
       FROM public.user_profiles WHERE id = '11111111-1111-1111-1111-111111111111'),
    'user_profiles defaults');
  PERFORM pg_temp.expect(
    (SELECT state = 'active' AND last_activity_at IS NOT NULL AND goodbye_sent_at IS NULL
       FROM public.user_engagement_states WHERE user_id = '11111111-1111-1111-1111-111111111111'),
    'user_engagement_states defaults (state active)');
  PERFORM pg_temp.expect(
    (SELECT bool_and(status = 'pending' AND retry_count = 0 AND sent_at IS NULL) FROM public.engagement_message_queue),
    'engagement_message_queue defaults (pending, 0 retries)');
END $$;

-- 5. CHECK and UNIQUE constraints reject invalid values (AC-8) ---------------
DO $$
BEGIN
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.user_engagement_states SET state = 'sleeping'$q$,
    '23514', 'user_engagement_states_state_check');
  PERFORM pg_temp.expect_error(
    $q$INSERT INTO public.user_engagement_states (user_id) VALUES ('11111111-1111-1111-1111-111111111111')$q$,
    '23505', 'user_engagement_states_user_id_key');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.engagement_message_queue SET status = 'queued'$q$,
    '23514', 'engagement_message_queue_status_check');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.engagement_message_queue SET destination = 'broadcast'$q$,
    '23514', 'engagement_message_queue_destination_check');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.engagement_message_queue SET message_type = 'spam'$q$,
    '23514', 'engagement_message_queue_message_type_check');
  PERFORM pg_temp.expect_error(
    $q$INSERT INTO public.engagement_message_queue
         (user_id, message_type, message_key, destination, destination_jid, scheduled_for, idempotency_key)
       VALUES ('11111111-1111-1111-1111-111111111111', 'goodbye', 'engagement.goodbye', 'individual',
               '5511900000001@s.whatsapp.net', now(), 'goodbye:1111:2025-11-21')$q$,
    '23505', 'engagement_message_queue_idempotency_key_key');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.user_profiles SET preferred_destination = 'channel'$q$,
    '23514', 'user_profiles_preferred_destination_check');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.user_profiles SET onboarding_tier = 4$q$,
    '23514', 'user_profiles_onboarding_tier_check');
  PERFORM pg_temp.expect_error(
    $q$UPDATE public.user_profiles SET onboarding_tier = -1$q$,
    '23514', 'user_profiles_onboarding_tier_check');
END $$;

-- Valid values are accepted.
UPDATE public.user_profiles SET preferred_destination = 'group', onboarding_tier = 3
 WHERE id = '22222222-2222-2222-2222-222222222222';
UPDATE public.user_engagement_states SET state = 'remind_later', remind_at = now() + interval '3 days'
 WHERE user_id = '22222222-2222-2222-2222-222222222222';

-- 6. ON DELETE CASCADE from auth.users ----------------------------------------
DELETE FROM auth.users WHERE id = '33333333-3333-3333-3333-333333333333';
DO $$
BEGIN
  PERFORM pg_temp.expect(
    NOT EXISTS (SELECT FROM public.user_engagement_states WHERE user_id = '33333333-3333-3333-3333-333333333333')
    AND NOT EXISTS (SELECT FROM public.engagement_state_transitions WHERE user_id = '33333333-3333-3333-3333-333333333333')
    AND NOT EXISTS (SELECT FROM public.engagement_message_queue WHERE user_id = '33333333-3333-3333-3333-333333333333')
    AND NOT EXISTS (SELECT FROM public.user_profiles WHERE id = '33333333-3333-3333-3333-333333333333'),
    'deleting an auth user must cascade');
END $$;

-- 7. RLS (AC-7) ---------------------------------------------------------------
-- Grants are not in the spec; Supabase grants these tables to its API roles by
-- default privileges, so RLS is the only barrier. Rolled back with the rest.
GRANT SELECT, INSERT, UPDATE, DELETE
   ON public.user_engagement_states, public.engagement_state_transitions,
      public.engagement_message_queue, public.user_profiles
   TO authenticated, service_role;

-- 7a. A user (JWT sub = Ana) sees only own rows and no queue rows.
SET LOCAL ROLE authenticated;
DO $$
DECLARE
  n integer;
BEGIN
  PERFORM set_config('request.jwt.claim.sub', '11111111-1111-1111-1111-111111111111', true);
  PERFORM pg_temp.expect(auth.uid() = '11111111-1111-1111-1111-111111111111', 'auth.uid()');
  PERFORM pg_temp.expect(
    (SELECT count(*) = 1 AND bool_and(user_id = auth.uid()) FROM public.user_engagement_states),
    'user sees exactly own engagement state');
  PERFORM pg_temp.expect(
    (SELECT count(*) = 2 AND bool_and(user_id = auth.uid()) FROM public.engagement_state_transitions),
    'user sees exactly own transitions');
  PERFORM pg_temp.expect((SELECT count(*) = 0 FROM public.engagement_message_queue), 'user sees no queue rows');
  PERFORM pg_temp.expect((SELECT count(*) = 1 FROM public.user_profiles), 'user sees exactly own profile');
  -- Read-only: no write policy for users.
  UPDATE public.user_engagement_states SET state = 'dormant';
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM pg_temp.expect(n = 0, 'user updated engagement state rows');
  DELETE FROM public.engagement_state_transitions;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM pg_temp.expect(n = 0, 'user deleted transitions');
  PERFORM pg_temp.expect_error(
    $q$INSERT INTO public.engagement_state_transitions (user_id, to_state, trigger)
       VALUES (auth.uid(), 'dormant', 'forged')$q$, '42501');
  PERFORM pg_temp.expect_error(
    $q$INSERT INTO public.engagement_message_queue
         (user_id, message_type, message_key, destination, destination_jid, scheduled_for, idempotency_key)
       VALUES (auth.uid(), 'welcome', 'x', 'individual', 'x', now(), 'forged')$q$, '42501');
  -- Without a JWT sub, nothing is visible.
  PERFORM set_config('request.jwt.claim.sub', '', true);
  PERFORM pg_temp.expect((SELECT count(*) = 0 FROM public.user_engagement_states), 'no sub sees no states');
END $$;
RESET ROLE;

-- 7b. The service role has full access.
SET LOCAL ROLE service_role;
DO $$
DECLARE
  n integer;
BEGIN
  PERFORM pg_temp.expect((SELECT count(*) = 2 FROM public.user_engagement_states), 'service role sees all states');
  PERFORM pg_temp.expect((SELECT count(*) = 3 FROM public.engagement_state_transitions), 'service role sees all transitions');
  PERFORM pg_temp.expect((SELECT count(*) = 2 FROM public.engagement_message_queue), 'service role sees all queue rows');
  UPDATE public.engagement_message_queue SET status = 'sent', sent_at = now() WHERE idempotency_key = 'welcome:2222';
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM pg_temp.expect(n = 1, 'service role updates the queue');
  INSERT INTO public.engagement_state_transitions (user_id, from_state, to_state, trigger)
  VALUES ('11111111-1111-1111-1111-111111111111', 'goodbye_sent', 'dormant', 'goodbye_timeout');
  UPDATE public.user_engagement_states SET state = 'dormant' WHERE user_id = '11111111-1111-1111-1111-111111111111';
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM pg_temp.expect(n = 1, 'service role updates engagement states');
  DELETE FROM public.engagement_message_queue WHERE status = 'sent';
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM pg_temp.expect(n = 1, 'service role deletes from the queue');
END $$;
RESET ROLE;

ROLLBACK;
\echo 'engagement smoke: ok'
