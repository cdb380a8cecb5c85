-- schemadiff plan of examples/escalation_calls/schema against <database>
-- schemadiff plan (schemadiff.plan/v1): 85 statement(s) in 1 phase(s)
-- made against database state sha256:<masked>
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

-- phase 1/1: transactional (one transaction)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- [SD105] table public.agents: create table (14 columns, primary key, 2 constraints, 2 indexes, 1 trigger)
CREATE TABLE public.agents (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  type character varying(20) NOT NULL,
  status character varying(20) NOT NULL,
  capabilities text[] NOT NULL,
  current_task_count integer DEFAULT 0,
  max_concurrent_tasks integer DEFAULT 5 NOT NULL,
  working_hours_start time without time zone,
  working_hours_end time without time zone,
  timezone character varying(50) DEFAULT 'UTC',
  config jsonb,
  performance_metrics jsonb,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  last_active_at timestamp without time zone,
  CONSTRAINT agents_pkey PRIMARY KEY (id),
  CONSTRAINT agents_status_check CHECK (status IN ('idle', 'active', 'busy', 'error', 'offline')),
  CONSTRAINT agents_type_check CHECK (type IN ('email', 'phone', 'sms', 'research'))
);

-- [SD105] table public.audit_logs: create table (11 columns, primary key, 1 constraint, 2 indexes)
CREATE TABLE public.audit_logs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  entity_type character varying(50) NOT NULL,
  entity_id uuid NOT NULL,
  action character varying(50) NOT NULL,
  actor_type character varying(50),
  actor_id character varying(100),
  changes jsonb,
  metadata jsonb,
  ip_address inet,
  user_agent text,
  "timestamp" timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT audit_logs_pkey PRIMARY KEY (id),
  CONSTRAINT audit_logs_actor_type_check CHECK (actor_type IN ('agent', 'user', 'system'))
);

-- [SD105] table public.compliance_rules: create table (10 columns, primary key, 3 constraints, 1 trigger)
CREATE TABLE public.compliance_rules (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name character varying(100) NOT NULL,
  description text,
  rule_type character varying(50) NOT NULL,
  condition jsonb NOT NULL,
  action character varying(50) NOT NULL,
  severity character varying(20),
  is_enabled boolean DEFAULT true,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT compliance_rules_pkey PRIMARY KEY (id),
  CONSTRAINT compliance_rules_name_key UNIQUE (name),
  CONSTRAINT compliance_rules_action_check CHECK (action IN ('block_contact', 'require_approval', 'log_warning', 'escalate')),
  CONSTRAINT compliance_rules_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical'))
);

-- [SD105] table public.customers: create table (12 columns, primary key, 2 constraints, 2 indexes, 1 trigger)
CREATE TABLE public.customers (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  company_name character varying(255) NOT NULL,
  contact_name character varying(255) NOT NULL,
  email character varying(255) NOT NULL,
  phone character varying(50),
  mobile character varying(50),
  address jsonb,
  preferred_contact_method character varying(20),
  tags text[],
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  deleted_at timestamp without time zone,
  CONSTRAINT customers_pkey PRIMARY KEY (id),
  CONSTRAINT customers_email_key UNIQUE (email),
  CONSTRAINT customers_preferred_contact_method_check CHECK (preferred_contact_method IN ('email', 'phone', 'sms'))
);

-- [SD105] table public.customer_profiles: create table (16 columns, primary key, 5 constraints, 1 trigger)
CREATE TABLE public.customer_profiles (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  customer_id uuid NOT NULL,
  risk_level character varying(20),
  risk_score numeric(5,2),
  average_payment_delay integer,
  response_rate numeric(3,2),
  preferred_contact_time_start time without time zone,
  preferred_contact_time_end time without time zone,
  timezone character varying(50),
  communication_style character varying(20),
  do_not_contact boolean DEFAULT false,
  contact_restrictions text[],
  notes text[],
  last_contact_date timestamp without time zone,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT customer_profiles_pkey PRIMARY KEY (id),
  CONSTRAINT customer_profiles_communication_style_check CHECK (communication_style IN ('formal', 'casual', 'direct', 'diplomatic')),
  CONSTRAINT customer_profiles_response_rate_check CHECK (response_rate BETWEEN 0 AND 1),
  CONSTRAINT customer_profiles_risk_level_check CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT customer_profiles_risk_score_check CHECK (risk_score BETWEEN 0 AND 100),
  CONSTRAINT customer_profiles_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE
);

-- [SD105] table public.opt_outs: create table (7 columns, primary key, 3 constraints, 1 index)
CREATE TABLE public.opt_outs (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  customer_id uuid NOT NULL,
  channel character varying(20) NOT NULL,
  reason text,
  opted_out_at timestamp without time zone DEFAULT now() NOT NULL,
  expires_at timestamp without time zone,
  metadata jsonb,
  CONSTRAINT opt_outs_pkey PRIMARY KEY (id),
  CONSTRAINT opt_outs_customer_id_channel_key UNIQUE (customer_id, channel),
  CONSTRAINT opt_outs_channel_check CHECK (channel IN ('email', 'phone', 'sms', 'all')),
  CONSTRAINT opt_outs_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE
);

-- [SD105] table public.payment_records: create table (12 columns, primary key, 3 constraints, 3 indexes, 1 trigger)
CREATE TABLE public.payment_records (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  customer_id uuid NOT NULL,
  amount numeric(12,2) NOT NULL,
  currency character varying(3) DEFAULT 'USD' NOT NULL,
  due_date date NOT NULL,
  paid_date date,
  status character varying(20) NOT NULL,
  invoice_number character varying(100) NOT NULL,
  description text,
  metadata jsonb,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT payment_records_pkey PRIMARY KEY (id),
  CONSTRAINT payment_records_invoice_number_key UNIQUE (invoice_number),
  CONSTRAINT payment_records_status_check CHECK (status IN ('pending', 'overdue', 'paid', 'partial', 'cancelled')),
  CONSTRAINT payment_records_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE
);

-- [SD105] table public.campaigns: create table (15 columns, primary key, 3 constraints, 3 indexes, 1 trigger)
CREATE TABLE public.campaigns (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name character varying(255) NOT NULL,
  description text,
  customer_id uuid NOT NULL,
  payment_record_id uuid,
  status character varying(20) NOT NULL,
  escalation_steps jsonb NOT NULL,
  current_step integer DEFAULT 0 NOT NULL,
  start_date timestamp without time zone NOT NULL,
  end_date timestamp without time zone,
  paused_until timestamp without time zone,
  results jsonb,
  config jsonb,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT campaigns_pkey PRIMARY KEY (id),
  CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'active', 'paused', 'completed', 'cancelled')),
  CONSTRAINT campaigns_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE,
  CONSTRAINT campaigns_payment_record_id_fkey FOREIGN KEY (payment_record_id) REFERENCES public.payment_records (id) ON DELETE SET NULL
);

-- [SD105] table public.system_metrics: create table (6 columns, primary key, 1 index)
CREATE TABLE public.system_metrics (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  metric_type character varying(50) NOT NULL,
  metric_name character varying(100) NOT NULL,
  value numeric(12,4) NOT NULL,
  dimensions jsonb,
  "timestamp" timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT system_metrics_pkey PRIMARY KEY (id)
);

-- [SD105] table public.tasks: create table (16 columns, primary key, 7 constraints, 6 indexes, 1 trigger)
CREATE TABLE public.tasks (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  type character varying(50) NOT NULL,
  priority character varying(20) NOT NULL,
  customer_id uuid NOT NULL,
  campaign_id uuid,
  payment_record_id uuid,
  status character varying(20) NOT NULL,
  assigned_agent_id uuid,
  context jsonb NOT NULL,
  attempts integer DEFAULT 0,
  max_attempts integer DEFAULT 3,
  due_at timestamp without time zone,
  started_at timestamp without time zone,
  completed_at timestamp without time zone,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT tasks_pkey PRIMARY KEY (id),
  CONSTRAINT tasks_priority_check CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  CONSTRAINT tasks_status_check CHECK (status IN ('pending', 'assigned', 'in_progress', 'completed', 'failed', 'cancelled')),
  CONSTRAINT tasks_type_check CHECK (type IN ('send_email', 'make_call', 'send_sms', 'research_customer', 'escalate', 'follow_up')),
  CONSTRAINT tasks_assigned_agent_id_fkey FOREIGN KEY (assigned_agent_id) REFERENCES public.agents (id) ON DELETE SET NULL,
  CONSTRAINT tasks_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns (id) ON DELETE CASCADE,
  CONSTRAINT tasks_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE,
  CONSTRAINT tasks_payment_record_id_fkey FOREIGN KEY (payment_record_id) REFERENCES public.payment_records (id) ON DELETE SET NULL
);

-- [SD105] table public.contact_attempts: create table (12 columns, primary key, 6 constraints, 4 indexes)
CREATE TABLE public.contact_attempts (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  task_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  campaign_id uuid,
  channel character varying(20) NOT NULL,
  status character varying(20) NOT NULL,
  "timestamp" timestamp without time zone DEFAULT now() NOT NULL,
  duration integer,
  response text,
  metadata jsonb,
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT contact_attempts_pkey PRIMARY KEY (id),
  CONSTRAINT contact_attempts_channel_check CHECK (channel IN ('email', 'phone', 'sms')),
  CONSTRAINT contact_attempts_status_check CHECK (status IN ('sent', 'delivered', 'opened', 'answered', 'replied', 'bounced', 'failed')),
  CONSTRAINT contact_attempts_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES public.agents (id) ON DELETE CASCADE,
  CONSTRAINT contact_attempts_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns (id) ON DELETE SET NULL,
  CONSTRAINT contact_attempts_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE CASCADE,
  CONSTRAINT contact_attempts_task_id_fkey FOREIGN KEY (task_id) REFERENCES public.tasks (id) ON DELETE CASCADE
);

-- [SD105] table public.templates: create table (14 columns, primary key, 3 constraints, 1 trigger)
CREATE TABLE public.templates (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  name character varying(100) NOT NULL,
  type character varying(20) NOT NULL,
  channel character varying(20) NOT NULL,
  subject character varying(255),
  content text NOT NULL,
  html_content text,
  variables text[],
  category character varying(50),
  is_active boolean DEFAULT true,
  version integer DEFAULT 1,
  created_by character varying(100),
  created_at timestamp without time zone DEFAULT now() NOT NULL,
  updated_at timestamp without time zone DEFAULT now() NOT NULL,
  CONSTRAINT templates_pkey PRIMARY KEY (id),
  CONSTRAINT templates_name_key UNIQUE (name),
  CONSTRAINT templates_channel_check CHECK (channel IN ('email', 'phone', 'sms')),
  CONSTRAINT templates_type_check CHECK (type IN ('email', 'sms', 'phone_script'))
);

-- [SD114] function public.update_updated_at_column(): create function (plpgsql, returns trigger)
CREATE FUNCTION public.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql VOLATILE AS E'\nBEGIN\n    NEW.updated_at = NOW();\n    RETURN NEW;\nEND;\n';

-- [SD105] table public.agents: create table: index idx_agents_status
CREATE INDEX idx_agents_status ON public.agents (status);

-- [SD105] table public.agents: create table: index idx_agents_type
CREATE INDEX idx_agents_type ON public.agents (type);

-- [SD105] table public.agents: create table: trigger update_agents_updated_at
CREATE TRIGGER update_agents_updated_at BEFORE UPDATE ON public.agents FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.agents: create table: comment on the table
COMMENT ON TABLE public.agents IS 'Agent registration and configuration.';

-- [SD105] table public.agents: create table: comment on column config
COMMENT ON COLUMN public.agents.config IS 'Agent-specific configuration.';

-- [SD105] table public.agents: create table: comment on column performance_metrics
COMMENT ON COLUMN public.agents.performance_metrics IS 'tasks_completed, success_rate, avg_response_time, etc.';

-- [SD105] table public.audit_logs: create table: index idx_audit_logs_entity_type_id
CREATE INDEX idx_audit_logs_entity_type_id ON public.audit_logs (entity_type, entity_id);

-- [SD105] table public.audit_logs: create table: index idx_audit_logs_timestamp
CREATE INDEX idx_audit_logs_timestamp ON public.audit_logs ("timestamp");

-- [SD105] table public.audit_logs: create table: comment on the table
COMMENT ON TABLE public.audit_logs IS 'Audit trail for compliance.';

-- [SD105] table public.audit_logs: create table: comment on column entity_type
COMMENT ON COLUMN public.audit_logs.entity_type IS 'customer, campaign, task, agent, etc.';

-- [SD105] table public.audit_logs: create table: comment on column entity_id
COMMENT ON COLUMN public.audit_logs.entity_id IS 'Polymorphic: the id of a row of entity_type; no FK.';

-- [SD105] table public.audit_logs: create table: comment on column action
COMMENT ON COLUMN public.audit_logs.action IS 'created, updated, deleted, status_changed, etc.';

-- [SD105] table public.audit_logs: create table: comment on column changes
COMMENT ON COLUMN public.audit_logs.changes IS 'Before/after values.';

-- [SD105] table public.audit_logs: create table: comment on column metadata
COMMENT ON COLUMN public.audit_logs.metadata IS 'Additional context.';

-- [SD105] table public.campaigns: create table: index idx_campaigns_customer_id
CREATE INDEX idx_campaigns_customer_id ON public.campaigns (customer_id);

-- [SD105] table public.campaigns: create table: index idx_campaigns_start_date
CREATE INDEX idx_campaigns_start_date ON public.campaigns (start_date);

-- [SD105] table public.campaigns: create table: index idx_campaigns_status
CREATE INDEX idx_campaigns_status ON public.campaigns (status);

-- [SD105] table public.campaigns: create table: trigger update_campaigns_updated_at
CREATE TRIGGER update_campaigns_updated_at BEFORE UPDATE ON public.campaigns FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.campaigns: create table: comment on the table
COMMENT ON TABLE public.campaigns IS 'Campaign definitions and execution state.';

-- [SD105] table public.campaigns: create table: comment on column escalation_steps
COMMENT ON COLUMN public.campaigns.escalation_steps IS 'Array of escalation step definitions.';

-- [SD105] table public.campaigns: create table: comment on column results
COMMENT ON COLUMN public.campaigns.results IS 'Campaign performance metrics.';

-- [SD105] table public.campaigns: create table: comment on column config
COMMENT ON COLUMN public.campaigns.config IS 'Campaign configuration.';

-- [SD105] table public.compliance_rules: create table: trigger update_compliance_rules_updated_at
CREATE TRIGGER update_compliance_rules_updated_at BEFORE UPDATE ON public.compliance_rules FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.compliance_rules: create table: comment on the table
COMMENT ON TABLE public.compliance_rules IS 'Compliance rules and regulations.';

-- [SD105] table public.compliance_rules: create table: comment on column rule_type
COMMENT ON COLUMN public.compliance_rules.rule_type IS 'time_restriction, frequency_limit, channel_restriction, etc.';

-- [SD105] table public.compliance_rules: create table: comment on column condition
COMMENT ON COLUMN public.compliance_rules.condition IS 'Rule condition definition.';

-- [SD105] table public.contact_attempts: create table: index idx_contact_attempts_campaign_id
CREATE INDEX idx_contact_attempts_campaign_id ON public.contact_attempts (campaign_id);

-- [SD105] table public.contact_attempts: create table: index idx_contact_attempts_channel
CREATE INDEX idx_contact_attempts_channel ON public.contact_attempts (channel);

-- [SD105] table public.contact_attempts: create table: index idx_contact_attempts_customer_id
CREATE INDEX idx_contact_attempts_customer_id ON public.contact_attempts (customer_id);

-- [SD105] table public.contact_attempts: create table: index idx_contact_attempts_timestamp
CREATE INDEX idx_contact_attempts_timestamp ON public.contact_attempts ("timestamp");

-- [SD105] table public.contact_attempts: create table: comment on the table
COMMENT ON TABLE public.contact_attempts IS 'All communication attempts with customers.';

-- [SD105] table public.contact_attempts: create table: comment on column duration
COMMENT ON COLUMN public.contact_attempts.duration IS 'In seconds, for phone calls.';

-- [SD105] table public.contact_attempts: create table: comment on column response
COMMENT ON COLUMN public.contact_attempts.response IS 'Customer response if any.';

-- [SD105] table public.contact_attempts: create table: comment on column metadata
COMMENT ON COLUMN public.contact_attempts.metadata IS 'Channel-specific data: email_id, call_sid, sms_id, etc.';

-- [SD105] table public.customer_profiles: create table: trigger update_customer_profiles_updated_at
CREATE TRIGGER update_customer_profiles_updated_at BEFORE UPDATE ON public.customer_profiles FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.customer_profiles: create table: comment on the table
COMMENT ON TABLE public.customer_profiles IS 'Behavioral analysis and risk assessment for customers.';

-- [SD105] table public.customer_profiles: create table: comment on column average_payment_delay
COMMENT ON COLUMN public.customer_profiles.average_payment_delay IS 'In days.';

-- [SD105] table public.customer_profiles: create table: comment on column contact_restrictions
COMMENT ON COLUMN public.customer_profiles.contact_restrictions IS 'Channels to avoid.';

-- [SD105] table public.customers: create table: index idx_customers_company_name
CREATE INDEX idx_customers_company_name ON public.customers (company_name);

-- [SD105] table public.customers: create table: index idx_customers_deleted_at
CREATE INDEX idx_customers_deleted_at ON public.customers (deleted_at) WHERE deleted_at IS NULL;

-- [SD105] table public.customers: create table: trigger update_customers_updated_at
CREATE TRIGGER update_customers_updated_at BEFORE UPDATE ON public.customers FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.customers: create table: comment on the table
COMMENT ON TABLE public.customers IS 'Customer/company information.';

-- [SD105] table public.customers: create table: comment on column address
COMMENT ON COLUMN public.customers.address IS 'street, city, state, zipCode, country';

-- [SD105] table public.customers: create table: comment on column deleted_at
COMMENT ON COLUMN public.customers.deleted_at IS 'Soft delete; NULL while the customer is live.';

-- [SD105] table public.opt_outs: create table: index idx_opt_outs_customer_id
CREATE INDEX idx_opt_outs_customer_id ON public.opt_outs (customer_id);

-- [SD105] table public.opt_outs: create table: comment on the table
COMMENT ON TABLE public.opt_outs IS 'Customer opt-out preferences.';

-- [SD105] table public.opt_outs: create table: comment on column expires_at
COMMENT ON COLUMN public.opt_outs.expires_at IS 'For temporary opt-outs.';

-- [SD105] table public.payment_records: create table: index idx_payment_records_customer_id
CREATE INDEX idx_payment_records_customer_id ON public.payment_records (customer_id);

-- [SD105] table public.payment_records: create table: index idx_payment_records_due_date
CREATE INDEX idx_payment_records_due_date ON public.payment_records (due_date);

-- [SD105] table public.payment_records: create table: index idx_payment_records_status
CREATE INDEX idx_payment_records_status ON public.payment_records (status);

-- [SD105] table public.payment_records: create table: trigger update_payment_records_updated_at
CREATE TRIGGER update_payment_records_updated_at BEFORE UPDATE ON public.payment_records FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.payment_records: create table: comment on the table
COMMENT ON TABLE public.payment_records IS 'Invoice and payment information.';

-- [SD105] table public.payment_records: create table: comment on column metadata
COMMENT ON COLUMN public.payment_records.metadata IS 'Additional invoice details.';

-- [SD105] table public.system_metrics: create table: index idx_system_metrics_type_timestamp
CREATE INDEX idx_system_metrics_type_timestamp ON public.system_metrics (metric_type, "timestamp");

-- [SD105] table public.system_metrics: create table: comment on the table
COMMENT ON TABLE public.system_metrics IS 'System performance metrics.';

-- [SD105] table public.system_metrics: create table: comment on column metric_type
COMMENT ON COLUMN public.system_metrics.metric_type IS 'agent_utilization, task_throughput, success_rate, etc.';

-- [SD105] table public.system_metrics: create table: comment on column dimensions
COMMENT ON COLUMN public.system_metrics.dimensions IS 'Tags/dimensions for grouping.';

-- [SD105] table public.tasks: create table: index idx_tasks_assigned_agent_id
CREATE INDEX idx_tasks_assigned_agent_id ON public.tasks (assigned_agent_id);

-- [SD105] table public.tasks: create table: index idx_tasks_campaign_id
CREATE INDEX idx_tasks_campaign_id ON public.tasks (campaign_id);

-- [SD105] table public.tasks: create table: index idx_tasks_customer_id
CREATE INDEX idx_tasks_customer_id ON public.tasks (customer_id);

-- [SD105] table public.tasks: create table: index idx_tasks_due_at
CREATE INDEX idx_tasks_due_at ON public.tasks (due_at);

-- [SD105] table public.tasks: create table: index idx_tasks_status
CREATE INDEX idx_tasks_status ON public.tasks (status);

-- [SD105] table public.tasks: create table: index idx_tasks_type_status
CREATE INDEX idx_tasks_type_status ON public.tasks (type, status);

-- [SD105] table public.tasks: create table: trigger update_tasks_updated_at
CREATE TRIGGER update_tasks_updated_at BEFORE UPDATE ON public.tasks FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.tasks: create table: comment on the table
COMMENT ON TABLE public.tasks IS 'Individual tasks assigned to agents.';

-- [SD105] table public.tasks: create table: comment on column context
COMMENT ON COLUMN public.tasks.context IS 'Task context and metadata.';

-- [SD105] table public.templates: create table: trigger update_templates_updated_at
CREATE TRIGGER update_templates_updated_at BEFORE UPDATE ON public.templates FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

-- [SD105] table public.templates: create table: comment on the table
COMMENT ON TABLE public.templates IS 'Communication templates.';

-- [SD105] table public.templates: create table: comment on column subject
COMMENT ON COLUMN public.templates.subject IS 'For emails.';

-- [SD105] table public.templates: create table: comment on column html_content
COMMENT ON COLUMN public.templates.html_content IS 'For emails.';

-- [SD105] table public.templates: create table: comment on column variables
COMMENT ON COLUMN public.templates.variables IS 'Template variables.';

-- [SD105] table public.templates: create table: comment on column category
COMMENT ON COLUMN public.templates.category IS 'reminder, escalation, final_notice, etc.';

COMMIT;
