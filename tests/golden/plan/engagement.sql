-- schemadiff plan of examples/engagement/schema against <database>
-- schemadiff plan (schemadiff.plan/v1): 54 statement(s) in 2 phase(s)
-- made against database state sha256:<masked>
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

-- phase 1/2: transactional (one transaction)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- [SD105] table public.engagement_message_queue: create table (14 columns, primary key, 5 constraints, 2 indexes, row level security, 1 policy)
CREATE TABLE public.engagement_message_queue (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  message_type text NOT NULL,
  message_key text NOT NULL,
  message_params jsonb,
  destination text NOT NULL,
  destination_jid text NOT NULL,
  scheduled_for timestamp with time zone NOT NULL,
  sent_at timestamp with time zone,
  status text DEFAULT 'pending' NOT NULL,
  retry_count integer DEFAULT 0 NOT NULL,
  error_message text,
  idempotency_key text NOT NULL,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT engagement_message_queue_pkey PRIMARY KEY (id),
  CONSTRAINT engagement_message_queue_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT engagement_message_queue_destination_check CHECK (destination IN ('individual', 'group')),
  CONSTRAINT engagement_message_queue_message_type_check CHECK (message_type IN ('welcome', 'tier_unlock', 'goodbye', 'help_restart', 'remind_later', 'weekly_review')),
  CONSTRAINT engagement_message_queue_status_check CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  CONSTRAINT engagement_message_queue_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE
);

-- [SD105] table public.engagement_state_transitions: create table (7 columns, primary key, 1 constraint, 2 indexes, row level security, 2 policies)
CREATE TABLE public.engagement_state_transitions (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  from_state text,
  to_state text NOT NULL,
  trigger text NOT NULL,
  metadata jsonb DEFAULT '{}'::jsonb,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT engagement_state_transitions_pkey PRIMARY KEY (id),
  CONSTRAINT engagement_state_transitions_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE
);

-- [SD105] table public.user_engagement_states: create table (9 columns, primary key, 3 constraints, 4 indexes, row level security, 2 policies, 1 trigger)
CREATE TABLE public.user_engagement_states (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  user_id uuid NOT NULL,
  state text DEFAULT 'active' NOT NULL,
  last_activity_at timestamp with time zone DEFAULT now() NOT NULL,
  goodbye_sent_at timestamp with time zone,
  goodbye_expires_at timestamp with time zone,
  remind_at timestamp with time zone,
  created_at timestamp with time zone DEFAULT now() NOT NULL,
  updated_at timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT user_engagement_states_pkey PRIMARY KEY (id),
  CONSTRAINT user_engagement_states_user_id_key UNIQUE (user_id),
  CONSTRAINT user_engagement_states_state_check CHECK (state IN ('active', 'goodbye_sent', 'help_flow', 'remind_later', 'dormant')),
  CONSTRAINT user_engagement_states_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE CASCADE
);

-- [SD106] table public.user_profiles: add column preferred_destination text DEFAULT 'individual'
ALTER TABLE public.user_profiles ADD COLUMN preferred_destination text DEFAULT 'individual';

-- [SD106] table public.user_profiles: add column preferred_destination text DEFAULT 'individual'
COMMENT ON COLUMN public.user_profiles.preferred_destination IS 'Where proactive engagement messages go: the user''s individual chat or their group.';

-- [SD106] table public.user_profiles: add column reengagement_opt_out boolean DEFAULT false
ALTER TABLE public.user_profiles ADD COLUMN reengagement_opt_out boolean DEFAULT false;

-- [SD106] table public.user_profiles: add column reengagement_opt_out boolean DEFAULT false
COMMENT ON COLUMN public.user_profiles.reengagement_opt_out IS 'True when the user asked not to receive re-engagement (goodbye/reminder) messages.';

-- [SD106] table public.user_profiles: add column onboarding_tier integer DEFAULT 0
ALTER TABLE public.user_profiles ADD COLUMN onboarding_tier integer DEFAULT 0;

-- [SD106] table public.user_profiles: add column onboarding_tier integer DEFAULT 0
COMMENT ON COLUMN public.user_profiles.onboarding_tier IS 'Progressive onboarding tier reached, 0 (none) to 3 (all tiers).';

-- [SD106] table public.user_profiles: add column onboarding_tier_progress jsonb DEFAULT '{}'::jsonb
ALTER TABLE public.user_profiles ADD COLUMN onboarding_tier_progress jsonb DEFAULT '{}'::jsonb;

-- [SD106] table public.user_profiles: add column onboarding_tier_progress jsonb DEFAULT '{}'::jsonb
COMMENT ON COLUMN public.user_profiles.onboarding_tier_progress IS 'Per-tier progress of onboarding actions, e.g. {"tier_1": {"add_expense": true}}.';

-- [SD106] table public.user_profiles: add column magic_moment_at timestamp with time zone
ALTER TABLE public.user_profiles ADD COLUMN magic_moment_at timestamp with time zone;

-- [SD106] table public.user_profiles: add column magic_moment_at timestamp with time zone
COMMENT ON COLUMN public.user_profiles.magic_moment_at IS 'When the user first reached the "magic moment"; NULL until then.';

-- [SD105] table public.engagement_message_queue: create table: index idx_engagement_message_queue_pending_scheduled
CREATE INDEX idx_engagement_message_queue_pending_scheduled ON public.engagement_message_queue (scheduled_for) WHERE status = 'pending';

-- [SD105] table public.engagement_message_queue: create table: index idx_engagement_message_queue_pending_status
CREATE INDEX idx_engagement_message_queue_pending_status ON public.engagement_message_queue (status) WHERE status = 'pending';

-- [SD105] table public.engagement_message_queue: create table: row level security
ALTER TABLE public.engagement_message_queue ENABLE ROW LEVEL SECURITY;

-- [SD105] table public.engagement_message_queue: create table: policy Service role only
CREATE POLICY "Service role only" ON public.engagement_message_queue TO service_role USING (true) WITH CHECK (true);

-- [SD105] table public.engagement_message_queue: create table: comment on the table
COMMENT ON TABLE public.engagement_message_queue IS 'Outgoing proactive WhatsApp messages; written and read by the service role only.';

-- [SD105] table public.engagement_message_queue: create table: comment on column message_type
COMMENT ON COLUMN public.engagement_message_queue.message_type IS 'Kind of message: welcome, tier_unlock, goodbye, help_restart, remind_later, weekly_review.';

-- [SD105] table public.engagement_message_queue: create table: comment on column message_key
COMMENT ON COLUMN public.engagement_message_queue.message_key IS 'Localization key of the message text.';

-- [SD105] table public.engagement_message_queue: create table: comment on column message_params
COMMENT ON COLUMN public.engagement_message_queue.message_params IS 'Variables interpolated into the localized message.';

-- [SD105] table public.engagement_message_queue: create table: comment on column destination
COMMENT ON COLUMN public.engagement_message_queue.destination IS 'Individual chat or group chat.';

-- [SD105] table public.engagement_message_queue: create table: comment on column destination_jid
COMMENT ON COLUMN public.engagement_message_queue.destination_jid IS 'The WhatsApp JID to send to.';

-- [SD105] table public.engagement_message_queue: create table: comment on column scheduled_for
COMMENT ON COLUMN public.engagement_message_queue.scheduled_for IS 'Earliest time to send; the scheduler sends pending rows once it has passed.';

-- [SD105] table public.engagement_message_queue: create table: comment on column error_message
COMMENT ON COLUMN public.engagement_message_queue.error_message IS 'Last send error, for failed messages.';

-- [SD105] table public.engagement_message_queue: create table: comment on column idempotency_key
COMMENT ON COLUMN public.engagement_message_queue.idempotency_key IS 'Unique per logical message, so a message is never queued twice (NFR7).';

-- [SD105] table public.engagement_state_transitions: create table: index idx_engagement_state_transitions_created_at
CREATE INDEX idx_engagement_state_transitions_created_at ON public.engagement_state_transitions (created_at);

-- [SD105] table public.engagement_state_transitions: create table: index idx_engagement_state_transitions_user_id
CREATE INDEX idx_engagement_state_transitions_user_id ON public.engagement_state_transitions (user_id);

-- [SD105] table public.engagement_state_transitions: create table: row level security
ALTER TABLE public.engagement_state_transitions ENABLE ROW LEVEL SECURITY;

-- [SD105] table public.engagement_state_transitions: create table: policy Service role can manage all transitions
CREATE POLICY "Service role can manage all transitions" ON public.engagement_state_transitions TO service_role USING (true) WITH CHECK (true);

-- [SD105] table public.engagement_state_transitions: create table: policy Users can view own transitions
CREATE POLICY "Users can view own transitions" ON public.engagement_state_transitions FOR SELECT TO authenticated USING (auth.uid() = user_id);

-- [SD105] table public.engagement_state_transitions: create table: comment on the table
COMMENT ON TABLE public.engagement_state_transitions IS 'Audit log of engagement state transitions (append-only).';

-- [SD105] table public.engagement_state_transitions: create table: comment on column from_state
COMMENT ON COLUMN public.engagement_state_transitions.from_state IS 'State before the transition; NULL for the first state of a user.';

-- [SD105] table public.engagement_state_transitions: create table: comment on column to_state
COMMENT ON COLUMN public.engagement_state_transitions.to_state IS 'State after the transition.';

-- [SD105] table public.engagement_state_transitions: create table: comment on column trigger
COMMENT ON COLUMN public.engagement_state_transitions.trigger IS 'What caused the transition, e.g. user_message, goodbye_timeout, reminder_due.';

-- [SD105] table public.engagement_state_transitions: create table: comment on column metadata
COMMENT ON COLUMN public.engagement_state_transitions.metadata IS 'Free-form context of the transition.';

-- [SD105] table public.user_engagement_states: create table: index idx_user_engagement_states_goodbye_expires
CREATE INDEX idx_user_engagement_states_goodbye_expires ON public.user_engagement_states (goodbye_expires_at) WHERE goodbye_expires_at IS NOT NULL;

-- [SD105] table public.user_engagement_states: create table: index idx_user_engagement_states_last_activity
CREATE INDEX idx_user_engagement_states_last_activity ON public.user_engagement_states (last_activity_at);

-- [SD105] table public.user_engagement_states: create table: index idx_user_engagement_states_remind_at
CREATE INDEX idx_user_engagement_states_remind_at ON public.user_engagement_states (remind_at) WHERE remind_at IS NOT NULL;

-- [SD105] table public.user_engagement_states: create table: index idx_user_engagement_states_state
CREATE INDEX idx_user_engagement_states_state ON public.user_engagement_states (state);

-- [SD105] table public.user_engagement_states: create table: row level security
ALTER TABLE public.user_engagement_states ENABLE ROW LEVEL SECURITY;

-- [SD105] table public.user_engagement_states: create table: policy Service role can manage all engagement states
CREATE POLICY "Service role can manage all engagement states" ON public.user_engagement_states TO service_role USING (true) WITH CHECK (true);

-- [SD105] table public.user_engagement_states: create table: policy Users can view own engagement state
CREATE POLICY "Users can view own engagement state" ON public.user_engagement_states FOR SELECT TO authenticated USING (auth.uid() = user_id);

-- [SD105] table public.user_engagement_states: create table: trigger update_user_engagement_states_updated_at
CREATE TRIGGER update_user_engagement_states_updated_at BEFORE UPDATE ON public.user_engagement_states FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.user_engagement_states: create table: comment on the table
COMMENT ON TABLE public.user_engagement_states IS 'Current engagement state-machine state, one row per user.';

-- [SD105] table public.user_engagement_states: create table: comment on column state
COMMENT ON COLUMN public.user_engagement_states.state IS 'Engagement state: active, goodbye_sent, help_flow, remind_later, dormant.';

-- [SD105] table public.user_engagement_states: create table: comment on column last_activity_at
COMMENT ON COLUMN public.user_engagement_states.last_activity_at IS 'Last message or action from the user; drives the inactivity scheduler.';

-- [SD105] table public.user_engagement_states: create table: comment on column goodbye_sent_at
COMMENT ON COLUMN public.user_engagement_states.goodbye_sent_at IS 'When the goodbye message was sent (entered goodbye_sent).';

-- [SD105] table public.user_engagement_states: create table: comment on column goodbye_expires_at
COMMENT ON COLUMN public.user_engagement_states.goodbye_expires_at IS 'When an unanswered goodbye times out to dormant.';

-- [SD105] table public.user_engagement_states: create table: comment on column remind_at
COMMENT ON COLUMN public.user_engagement_states.remind_at IS 'When to remind a user who chose remind_later.';

-- [SD109] table public.user_profiles: add check user_profiles_onboarding_tier_check: onboarding_tier BETWEEN 0 AND 3
ALTER TABLE public.user_profiles ADD CONSTRAINT user_profiles_onboarding_tier_check CHECK (onboarding_tier BETWEEN 0 AND 3) NOT VALID;

-- [SD109] table public.user_profiles: add check user_profiles_preferred_destination_check: preferred_destination IN ('individual', 'group')
ALTER TABLE public.user_profiles ADD CONSTRAINT user_profiles_preferred_destination_check CHECK (preferred_destination IN ('individual', 'group')) NOT VALID;

COMMIT;

-- phase 2/2: validate (validation, one transaction each)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = 0;
-- [SD109] table public.user_profiles: add check user_profiles_onboarding_tier_check: onboarding_tier BETWEEN 0 AND 3
ALTER TABLE public.user_profiles VALIDATE CONSTRAINT user_profiles_onboarding_tier_check;
COMMIT;

BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = 0;
-- [SD109] table public.user_profiles: add check user_profiles_preferred_destination_check: preferred_destination IN ('individual', 'group')
ALTER TABLE public.user_profiles VALIDATE CONSTRAINT user_profiles_preferred_destination_check;
COMMIT;
