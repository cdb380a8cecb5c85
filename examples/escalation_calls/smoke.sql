-- Smoke test of examples/escalation_calls (seed 004, "client escalation calls").
-- Run on a fresh database after prerequisites.sql and the output of `schemadiff sql`:
--   psql -v ON_ERROR_STOP=1 -f smoke.sql      (any failed check raises, so psql exits non-zero)
-- Everything happens in one transaction that is rolled back: the database is left as found.
\set ON_ERROR_STOP on
BEGIN;

-- pg_temp.expect(statement, 'ok' | SQLSTATE): run one statement, fail unless it ends as expected.
-- 23514 check_violation, 23505 unique_violation, 23502 not_null_violation, 23503 foreign_key_violation.
CREATE FUNCTION pg_temp.expect(stmt text, want text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  got text := 'ok';
BEGIN
  BEGIN
    EXECUTE stmt;
  EXCEPTION WHEN OTHERS THEN
    got := SQLSTATE;
  END;
  IF got <> want THEN
    RAISE EXCEPTION 'expected % but got % from: %', want, got, stmt;
  END IF;
END $$;

-- pg_temp.enum_check(table, column, row id, allowed values, nullable): every allowed value is
-- accepted, a value outside the list is rejected by a CHECK, NULL is accepted iff nullable.
-- The row keeps its value.
CREATE FUNCTION pg_temp.enum_check(tbl text, col text, row_id uuid, allowed text[], nullable boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v text;
  original text;
BEGIN
  EXECUTE format('SELECT %I FROM %I WHERE id = %L', col, tbl, row_id) INTO STRICT original;
  FOREACH v IN ARRAY allowed LOOP
    PERFORM pg_temp.expect(format('UPDATE %I SET %I = %L WHERE id = %L', tbl, col, v, row_id), 'ok');
  END LOOP;
  PERFORM pg_temp.expect(format('UPDATE %I SET %I = %L WHERE id = %L', tbl, col, 'not_in_the_list', row_id), '23514');
  PERFORM pg_temp.expect(format('UPDATE %I SET %I = NULL WHERE id = %L', tbl, col, row_id),
                         CASE WHEN nullable THEN 'ok' ELSE '23502' END);
  EXECUTE format('UPDATE %I SET %I = %L WHERE id = %L', tbl, col, original, row_id);
END $$;

-- 1. Columns: exactly the seed's twelve tables, every column with its type, NOT NULL and default.
CREATE TEMP TABLE expected_columns (tbl, col, typ, not_null, dflt) AS VALUES
    ('customers', 'id',                                   'uuid',                         true,  'gen_random_uuid()'),
    ('customers', 'company_name',                         'character varying(255)',       true,  NULL),
    ('customers', 'contact_name',                         'character varying(255)',       true,  NULL),
    ('customers', 'email',                                'character varying(255)',       true,  NULL),
    ('customers', 'phone',                                'character varying(50)',        false, NULL),
    ('customers', 'mobile',                               'character varying(50)',        false, NULL),
    ('customers', 'address',                              'jsonb',                        false, NULL),
    ('customers', 'preferred_contact_method',             'character varying(20)',        false, NULL),
    ('customers', 'tags',                                 'text[]',                       false, NULL),
    ('customers', 'created_at',                           'timestamp without time zone',  true,  'now()'),
    ('customers', 'updated_at',                           'timestamp without time zone',  true,  'now()'),
    ('customers', 'deleted_at',                           'timestamp without time zone',  false, NULL),
    ('customer_profiles', 'id',                           'uuid',                         true,  'gen_random_uuid()'),
    ('customer_profiles', 'customer_id',                  'uuid',                         true,  NULL),
    ('customer_profiles', 'risk_level',                   'character varying(20)',        false, NULL),
    ('customer_profiles', 'risk_score',                   'numeric(5,2)',                 false, NULL),
    ('customer_profiles', 'average_payment_delay',        'integer',                      false, NULL),
    ('customer_profiles', 'response_rate',                'numeric(3,2)',                 false, NULL),
    ('customer_profiles', 'preferred_contact_time_start', 'time without time zone',       false, NULL),
    ('customer_profiles', 'preferred_contact_time_end',   'time without time zone',       false, NULL),
    ('customer_profiles', 'timezone',                     'character varying(50)',        false, NULL),
    ('customer_profiles', 'communication_style',          'character varying(20)',        false, NULL),
    ('customer_profiles', 'do_not_contact',               'boolean',                      false, 'false'),
    ('customer_profiles', 'contact_restrictions',         'text[]',                       false, NULL),
    ('customer_profiles', 'notes',                        'text[]',                       false, NULL),
    ('customer_profiles', 'last_contact_date',            'timestamp without time zone',  false, NULL),
    ('customer_profiles', 'created_at',                   'timestamp without time zone',  true,  'now()'),
    ('customer_profiles', 'updated_at',                   'timestamp without time zone',  true,  'now()'),
    ('payment_records', 'id',                             'uuid',                         true,  'gen_random_uuid()'),
    ('payment_records', 'customer_id',                    'uuid',                         true,  NULL),
    ('payment_records', 'amount',                         'numeric(12,2)',                true,  NULL),
    ('payment_records', 'currency',                       'character varying(3)',         true,  '''USD''::character varying'),
    ('payment_records', 'due_date',                       'date',                         true,  NULL),
    ('payment_records', 'paid_date',                      'date',                         false, NULL),
    ('payment_records', 'status',                         'character varying(20)',        true,  NULL),
    ('payment_records', 'invoice_number',                 'character varying(100)',       true,  NULL),
    ('payment_records', 'description',                    'text',                         false, NULL),
    ('payment_records', 'metadata',                       'jsonb',                        false, NULL),
    ('payment_records', 'created_at',                     'timestamp without time zone',  true,  'now()'),
    ('payment_records', 'updated_at',                     'timestamp without time zone',  true,  'now()'),
    ('agents', 'id',                                      'uuid',                         true,  'gen_random_uuid()'),
    ('agents', 'type',                                    'character varying(20)',        true,  NULL),
    ('agents', 'status',                                  'character varying(20)',        true,  NULL),
    ('agents', 'capabilities',                            'text[]',                       true,  NULL),
    ('agents', 'current_task_count',                      'integer',                      false, '0'),
    ('agents', 'max_concurrent_tasks',                    'integer',                      true,  '5'),
    ('agents', 'working_hours_start',                     'time without time zone',       false, NULL),
    ('agents', 'working_hours_end',                       'time without time zone',       false, NULL),
    ('agents', 'timezone',                                'character varying(50)',        false, '''UTC''::character varying'),
    ('agents', 'config',                                  'jsonb',                        false, NULL),
    ('agents', 'performance_metrics',                     'jsonb',                        false, NULL),
    ('agents', 'created_at',                              'timestamp without time zone',  true,  'now()'),
    ('agents', 'updated_at',                              'timestamp without time zone',  true,  'now()'),
    ('agents', 'last_active_at',                          'timestamp without time zone',  false, NULL),
    ('campaigns', 'id',                                   'uuid',                         true,  'gen_random_uuid()'),
    ('campaigns', 'name',                                 'character varying(255)',       true,  NULL),
    ('campaigns', 'description',                          'text',                         false, NULL),
    ('campaigns', 'customer_id',                          'uuid',                         true,  NULL),
    ('campaigns', 'payment_record_id',                    'uuid',                         false, NULL),
    ('campaigns', 'status',                               'character varying(20)',        true,  NULL),
    ('campaigns', 'escalation_steps',                     'jsonb',                        true,  NULL),
    ('campaigns', 'current_step',                         'integer',                      true,  '0'),
    ('campaigns', 'start_date',                           'timestamp without time zone',  true,  NULL),
    ('campaigns', 'end_date',                             'timestamp without time zone',  false, NULL),
    ('campaigns', 'paused_until',                         'timestamp without time zone',  false, NULL),
    ('campaigns', 'results',                              'jsonb',                        false, NULL),
    ('campaigns', 'config',                               'jsonb',                        false, NULL),
    ('campaigns', 'created_at',                           'timestamp without time zone',  true,  'now()'),
    ('campaigns', 'updated_at',                           'timestamp without time zone',  true,  'now()'),
    ('tasks', 'id',                                       'uuid',                         true,  'gen_random_uuid()'),
    ('tasks', 'type',                                     'character varying(50)',        true,  NULL),
    ('tasks', 'priority',                                 'character varying(20)',        true,  NULL),
    ('tasks', 'customer_id',                              'uuid',                         true,  NULL),
    ('tasks', 'campaign_id',                              'uuid',                         false, NULL),
    ('tasks', 'payment_record_id',                        'uuid',                         false, NULL),
    ('tasks', 'status',                                   'character varying(20)',        true,  NULL),
    ('tasks', 'assigned_agent_id',                        'uuid',                         false, NULL),
    ('tasks', 'context',                                  'jsonb',                        true,  NULL),
    ('tasks', 'attempts',                                 'integer',                      false, '0'),
    ('tasks', 'max_attempts',                             'integer',                      false, '3'),
    ('tasks', 'due_at',                                   'timestamp without time zone',  false, NULL),
    ('tasks', 'started_at',                               'timestamp without time zone',  false, NULL),
    ('tasks', 'completed_at',                             'timestamp without time zone',  false, NULL),
    ('tasks', 'created_at',                               'timestamp without time zone',  true,  'now()'),
    ('tasks', 'updated_at',                               'timestamp without time zone',  true,  'now()'),
    ('contact_attempts', 'id',                            'uuid',                         true,  'gen_random_uuid()'),
    ('contact_attempts', 'task_id',                       'uuid',                         true,  NULL),
    ('contact_attempts', 'agent_id',                      'uuid',                         true,  NULL),
    ('contact_attempts', 'customer_id',                   'uuid',                         true,  NULL),
    ('contact_attempts', 'campaign_id',                   'uuid',                         false, NULL),
    ('contact_attempts', 'channel',                       'character varying(20)',        true,  NULL),
    ('contact_attempts', 'status',                        'character varying(20)',        true,  NULL),
    ('contact_attempts', 'timestamp',                     'timestamp without time zone',  true,  'now()'),
    ('contact_attempts', 'duration',                      'integer',                      false, NULL),
    ('contact_attempts', 'response',                      'text',                         false, NULL),
    ('contact_attempts', 'metadata',                      'jsonb',                        false, NULL),
    ('contact_attempts', 'created_at',                    'timestamp without time zone',  true,  'now()'),
    ('templates', 'id',                                   'uuid',                         true,  'gen_random_uuid()'),
    ('templates', 'name',                                 'character varying(100)',       true,  NULL),
    ('templates', 'type',                                 'character varying(20)',        true,  NULL),
    ('templates', 'channel',                              'character varying(20)',        true,  NULL),
    ('templates', 'subject',                              'character varying(255)',       false, NULL),
    ('templates', 'content',                              'text',                         true,  NULL),
    ('templates', 'html_content',                         'text',                         false, NULL),
    ('templates', 'variables',                            'text[]',                       false, NULL),
    ('templates', 'category',                             'character varying(50)',        false, NULL),
    ('templates', 'is_active',                            'boolean',                      false, 'true'),
    ('templates', 'version',                              'integer',                      false, '1'),
    ('templates', 'created_by',                           'character varying(100)',       false, NULL),
    ('templates', 'created_at',                           'timestamp without time zone',  true,  'now()'),
    ('templates', 'updated_at',                           'timestamp without time zone',  true,  'now()'),
    ('audit_logs', 'id',                                  'uuid',                         true,  'gen_random_uuid()'),
    ('audit_logs', 'entity_type',                         'character varying(50)',        true,  NULL),
    ('audit_logs', 'entity_id',                           'uuid',                         true,  NULL),
    ('audit_logs', 'action',                              'character varying(50)',        true,  NULL),
    ('audit_logs', 'actor_type',                          'character varying(50)',        false, NULL),
    ('audit_logs', 'actor_id',                            'character varying(100)',       false, NULL),
    ('audit_logs', 'changes',                             'jsonb',                        false, NULL),
    ('audit_logs', 'metadata',                            'jsonb',                        false, NULL),
    ('audit_logs', 'ip_address',                          'inet',                         false, NULL),
    ('audit_logs', 'user_agent',                          'text',                         false, NULL),
    ('audit_logs', 'timestamp',                           'timestamp without time zone',  true,  'now()'),
    ('opt_outs', 'id',                                    'uuid',                         true,  'gen_random_uuid()'),
    ('opt_outs', 'customer_id',                           'uuid',                         true,  NULL),
    ('opt_outs', 'channel',                               'character varying(20)',        true,  NULL),
    ('opt_outs', 'reason',                                'text',                         false, NULL),
    ('opt_outs', 'opted_out_at',                          'timestamp without time zone',  true,  'now()'),
    ('opt_outs', 'expires_at',                            'timestamp without time zone',  false, NULL),
    ('opt_outs', 'metadata',                              'jsonb',                        false, NULL),
    ('compliance_rules', 'id',                            'uuid',                         true,  'gen_random_uuid()'),
    ('compliance_rules', 'name',                          'character varying(100)',       true,  NULL),
    ('compliance_rules', 'description',                   'text',                         false, NULL),
    ('compliance_rules', 'rule_type',                     'character varying(50)',        true,  NULL),
    ('compliance_rules', 'condition',                     'jsonb',                        true,  NULL),
    ('compliance_rules', 'action',                        'character varying(50)',        true,  NULL),
    ('compliance_rules', 'severity',                      'character varying(20)',        false, NULL),
    ('compliance_rules', 'is_enabled',                    'boolean',                      false, 'true'),
    ('compliance_rules', 'created_at',                    'timestamp without time zone',  true,  'now()'),
    ('compliance_rules', 'updated_at',                    'timestamp without time zone',  true,  'now()'),
    ('system_metrics', 'id',                              'uuid',                         true,  'gen_random_uuid()'),
    ('system_metrics', 'metric_type',                     'character varying(50)',        true,  NULL),
    ('system_metrics', 'metric_name',                     'character varying(100)',       true,  NULL),
    ('system_metrics', 'value',                           'numeric(12,4)',                true,  NULL),
    ('system_metrics', 'dimensions',                      'jsonb',                        false, NULL),
    ('system_metrics', 'timestamp',                       'timestamp without time zone',  true,  'now()');

DO $$
DECLARE
  diff text;
BEGIN
  WITH actual AS (
    SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
  ), missing AS (SELECT * FROM expected_columns EXCEPT SELECT * FROM actual),
     extra   AS (SELECT * FROM actual EXCEPT SELECT * FROM expected_columns)
  SELECT string_agg(format('%s %s', kind, r), E'\n') INTO diff
  FROM (SELECT 'missing', m::text FROM missing m UNION ALL SELECT 'unexpected', x::text FROM extra x) AS t(kind, r);
  IF diff IS NOT NULL THEN
    RAISE EXCEPTION E'columns differ from the seed:\n%', diff;
  END IF;
END $$;

-- 2. Keys: a primary key on id everywhere; the seed's UNIQUE constraints; every FK with its ON DELETE.
DO $$
DECLARE
  diff text;
BEGIN
  WITH expected(tbl, kind, cols, ref, on_delete) AS (VALUES
    ('customers',         'p', 'id', NULL, NULL),
    ('customer_profiles', 'p', 'id', NULL, NULL),
    ('payment_records',   'p', 'id', NULL, NULL),
    ('agents',            'p', 'id', NULL, NULL),
    ('campaigns',         'p', 'id', NULL, NULL),
    ('tasks',             'p', 'id', NULL, NULL),
    ('contact_attempts',  'p', 'id', NULL, NULL),
    ('templates',         'p', 'id', NULL, NULL),
    ('audit_logs',        'p', 'id', NULL, NULL),
    ('opt_outs',          'p', 'id', NULL, NULL),
    ('compliance_rules',  'p', 'id', NULL, NULL),
    ('system_metrics',    'p', 'id', NULL, NULL),
    ('customers',         'u', 'email', NULL, NULL),
    ('payment_records',   'u', 'invoice_number', NULL, NULL),
    ('templates',         'u', 'name', NULL, NULL),
    ('compliance_rules',  'u', 'name', NULL, NULL),
    ('opt_outs',          'u', 'customer_id,channel', NULL, NULL),
    ('customer_profiles', 'f', 'customer_id',       'customers(id)',       'cascade'),
    ('payment_records',   'f', 'customer_id',       'customers(id)',       'cascade'),
    ('campaigns',         'f', 'customer_id',       'customers(id)',       'cascade'),
    ('campaigns',         'f', 'payment_record_id', 'payment_records(id)', 'set null'),
    ('tasks',             'f', 'customer_id',       'customers(id)',       'cascade'),
    ('tasks',             'f', 'campaign_id',       'campaigns(id)',       'cascade'),
    ('tasks',             'f', 'payment_record_id', 'payment_records(id)', 'set null'),
    ('tasks',             'f', 'assigned_agent_id', 'agents(id)',          'set null'),
    ('contact_attempts',  'f', 'task_id',           'tasks(id)',           'cascade'),
    ('contact_attempts',  'f', 'agent_id',          'agents(id)',          'cascade'),
    ('contact_attempts',  'f', 'customer_id',       'customers(id)',       'cascade'),
    ('contact_attempts',  'f', 'campaign_id',       'campaigns(id)',       'set null'),
    ('opt_outs',          'f', 'customer_id',       'customers(id)',       'cascade')
  ), actual AS (
    SELECT c.conrelid::regclass::text, c.contype::text,
           (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
              FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num),
           CASE WHEN c.contype = 'f' THEN format('%s(%s)', c.confrelid::regclass,
             (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num)) END,
           CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'a' THEN 'no action'
                              WHEN 'r' THEN 'restrict' WHEN 'd' THEN 'set default' END
    FROM pg_constraint c
    WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
  ), missing AS (SELECT * FROM expected EXCEPT SELECT * FROM actual),
     extra   AS (SELECT * FROM actual EXCEPT SELECT * FROM expected)
  SELECT string_agg(format('%s %s', kind, r), E'\n') INTO diff
  FROM (SELECT 'missing', m::text FROM missing m UNION ALL SELECT 'unexpected', x::text FROM extra x) AS t(kind, r);
  IF diff IS NOT NULL THEN
    RAISE EXCEPTION E'keys differ from the seed:\n%', diff;
  END IF;
END $$;

-- 3. Indexes: the seed's Indexes section, less the two that repeat a UNIQUE constraint's own
--    index (idx_customers_email, idx_payment_records_invoice_number: see README), with the
--    soft-delete partial index and its predicate.
DO $$
DECLARE
  diff text;
BEGIN
  WITH expected(def) AS (VALUES
    ('CREATE INDEX idx_customers_company_name ON public.customers USING btree (company_name)'),
    ('CREATE INDEX idx_customers_deleted_at ON public.customers USING btree (deleted_at) WHERE (deleted_at IS NULL)'),
    ('CREATE INDEX idx_payment_records_customer_id ON public.payment_records USING btree (customer_id)'),
    ('CREATE INDEX idx_payment_records_status ON public.payment_records USING btree (status)'),
    ('CREATE INDEX idx_payment_records_due_date ON public.payment_records USING btree (due_date)'),
    ('CREATE INDEX idx_campaigns_customer_id ON public.campaigns USING btree (customer_id)'),
    ('CREATE INDEX idx_campaigns_status ON public.campaigns USING btree (status)'),
    ('CREATE INDEX idx_campaigns_start_date ON public.campaigns USING btree (start_date)'),
    ('CREATE INDEX idx_tasks_status ON public.tasks USING btree (status)'),
    ('CREATE INDEX idx_tasks_customer_id ON public.tasks USING btree (customer_id)'),
    ('CREATE INDEX idx_tasks_campaign_id ON public.tasks USING btree (campaign_id)'),
    ('CREATE INDEX idx_tasks_assigned_agent_id ON public.tasks USING btree (assigned_agent_id)'),
    ('CREATE INDEX idx_tasks_due_at ON public.tasks USING btree (due_at)'),
    ('CREATE INDEX idx_tasks_type_status ON public.tasks USING btree (type, status)'),
    ('CREATE INDEX idx_contact_attempts_customer_id ON public.contact_attempts USING btree (customer_id)'),
    ('CREATE INDEX idx_contact_attempts_campaign_id ON public.contact_attempts USING btree (campaign_id)'),
    ('CREATE INDEX idx_contact_attempts_timestamp ON public.contact_attempts USING btree ("timestamp")'),
    ('CREATE INDEX idx_contact_attempts_channel ON public.contact_attempts USING btree (channel)'),
    ('CREATE INDEX idx_agents_type ON public.agents USING btree (type)'),
    ('CREATE INDEX idx_agents_status ON public.agents USING btree (status)'),
    ('CREATE INDEX idx_audit_logs_entity_type_id ON public.audit_logs USING btree (entity_type, entity_id)'),
    ('CREATE INDEX idx_audit_logs_timestamp ON public.audit_logs USING btree ("timestamp")'),
    ('CREATE INDEX idx_opt_outs_customer_id ON public.opt_outs USING btree (customer_id)'),
    ('CREATE INDEX idx_system_metrics_type_timestamp ON public.system_metrics USING btree (metric_type, "timestamp")')
  ), actual AS (
    SELECT i.indexdef FROM pg_indexes i
    WHERE i.schemaname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = format('public.%I', i.indexname)::regclass)
  ), missing AS (SELECT * FROM expected EXCEPT SELECT * FROM actual),
     extra   AS (SELECT * FROM actual EXCEPT SELECT * FROM expected)
  SELECT string_agg(format('%s %s', kind, r), E'\n') INTO diff
  FROM (SELECT 'missing', m.def FROM missing m UNION ALL SELECT 'unexpected', x.indexdef FROM extra x) AS t(kind, r);
  IF diff IS NOT NULL THEN
    RAISE EXCEPTION E'indexes differ from the seed:\n%', diff;
  END IF;
  -- The lookups the two left-out indexes were for are served by the constraints' unique indexes.
  IF (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexdef IN (
        'CREATE UNIQUE INDEX customers_email_key ON public.customers USING btree (email)',
        'CREATE UNIQUE INDEX payment_records_invoice_number_key ON public.payment_records USING btree (invoice_number)')) <> 2 THEN
    RAISE EXCEPTION 'the unique indexes on customers(email) and payment_records(invoice_number) are missing';
  END IF;
END $$;

-- 4. Fixtures: minimal rows (only NOT NULL columns without a default), so defaults apply.
INSERT INTO customers (id, company_name, contact_name, email) VALUES
  ('c0000000-0000-0000-0000-000000000001', 'Acme Corp', 'Ann Smith', 'ann@acme.test'),
  ('c0000000-0000-0000-0000-000000000002', 'Globex', 'Gil Bates', 'gil@globex.test');
INSERT INTO customer_profiles (id, customer_id) VALUES
  ('c1000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000001'),
  ('c1000000-0000-0000-0000-000000000002', 'c0000000-0000-0000-0000-000000000002');
INSERT INTO payment_records (id, customer_id, amount, due_date, status, invoice_number) VALUES
  ('b0000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000001', 1250.00, '2025-01-31', 'overdue', 'INV-0001'),
  ('b0000000-0000-0000-0000-000000000002', 'c0000000-0000-0000-0000-000000000002', 99.99, '2025-02-28', 'pending', 'INV-0002');
INSERT INTO agents (id, type, status, capabilities) VALUES
  ('a0000000-0000-0000-0000-000000000001', 'email', 'idle', '{send_email}'),
  ('a0000000-0000-0000-0000-000000000002', 'phone', 'idle', '{make_call}');
INSERT INTO campaigns (id, name, customer_id, payment_record_id, status, escalation_steps, start_date) VALUES
  ('ca000000-0000-0000-0000-000000000001', 'Acme overdue', 'c0000000-0000-0000-0000-000000000001',
   'b0000000-0000-0000-0000-000000000001', 'active', '[{"step": 1, "channel": "email"}]', '2025-02-01 09:00'),
  ('ca000000-0000-0000-0000-000000000002', 'Globex reminder', 'c0000000-0000-0000-0000-000000000002',
   'b0000000-0000-0000-0000-000000000002', 'draft', '[]', '2025-03-01 09:00');
INSERT INTO tasks (id, type, priority, customer_id, campaign_id, payment_record_id, status, assigned_agent_id, context) VALUES
  -- task 1: part of campaign 1, about payment record 1, assigned to agent 1
  ('da000000-0000-0000-0000-000000000001', 'send_email', 'high', 'c0000000-0000-0000-0000-000000000001',
   'ca000000-0000-0000-0000-000000000001', 'b0000000-0000-0000-0000-000000000001', 'assigned',
   'a0000000-0000-0000-0000-000000000001', '{}'),
  -- task 2: outside any campaign, same customer and payment record, assigned to agent 2
  ('da000000-0000-0000-0000-000000000002', 'make_call', 'medium', 'c0000000-0000-0000-0000-000000000001',
   NULL, 'b0000000-0000-0000-0000-000000000001', 'pending', 'a0000000-0000-0000-0000-000000000002', '{}'),
  -- task 3: Globex's
  ('da000000-0000-0000-0000-000000000003', 'send_sms', 'low', 'c0000000-0000-0000-0000-000000000002',
   'ca000000-0000-0000-0000-000000000002', 'b0000000-0000-0000-0000-000000000002', 'pending',
   'a0000000-0000-0000-0000-000000000001', '{}');
INSERT INTO contact_attempts (id, task_id, agent_id, customer_id, campaign_id, channel, status) VALUES
  -- attempt 1: of task 2 (no campaign), but recorded against campaign 1
  ('ea000000-0000-0000-0000-000000000001', 'da000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000002',
   'c0000000-0000-0000-0000-000000000001', 'ca000000-0000-0000-0000-000000000001', 'phone', 'answered'),
  -- attempt 2: of task 1 (campaign 1), by agent 1
  ('ea000000-0000-0000-0000-000000000002', 'da000000-0000-0000-0000-000000000001', 'a0000000-0000-0000-0000-000000000001',
   'c0000000-0000-0000-0000-000000000001', 'ca000000-0000-0000-0000-000000000001', 'email', 'sent'),
  -- attempt 3: Globex's
  ('ea000000-0000-0000-0000-000000000003', 'da000000-0000-0000-0000-000000000003', 'a0000000-0000-0000-0000-000000000001',
   'c0000000-0000-0000-0000-000000000002', 'ca000000-0000-0000-0000-000000000002', 'sms', 'delivered');
INSERT INTO templates (id, name, type, channel, content) VALUES
  ('fa000000-0000-0000-0000-000000000001', 'first_reminder', 'email', 'email', 'Dear {{contact_name}}, ...');
INSERT INTO audit_logs (id, entity_type, entity_id, action) VALUES
  ('fb000000-0000-0000-0000-000000000001', 'customer', 'c0000000-0000-0000-0000-000000000001', 'created');
INSERT INTO opt_outs (id, customer_id, channel) VALUES
  ('fc000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000001', 'sms'),
  ('fc000000-0000-0000-0000-000000000002', 'c0000000-0000-0000-0000-000000000002', 'email');
INSERT INTO compliance_rules (id, name, rule_type, condition, action) VALUES
  ('fd000000-0000-0000-0000-000000000001', 'no_calls_at_night', 'time_restriction',
   '{"not_before": "08:00", "not_after": "21:00"}', 'block_contact');
INSERT INTO system_metrics (id, metric_type, metric_name, value) VALUES
  ('fe000000-0000-0000-0000-000000000001', 'agent_utilization', 'email_agents', 0.8125);

-- The seed's "Updated At Trigger": an UPDATE on each of the eight tables with updated_at moves it
-- (now() is fixed within this transaction, so each row's updated_at is first put in the past).
DO $$
DECLARE
  t text;
  moved boolean;
BEGIN
  FOREACH t IN ARRAY ARRAY['customers', 'customer_profiles', 'payment_records', 'agents', 'campaigns', 'tasks',
                           'templates', 'compliance_rules'] LOOP
    IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = format('public.%I', t)::regclass
                   AND tgname = format('update_%s_updated_at', t) AND tgenabled = 'O') THEN
      RAISE EXCEPTION 'table % has no enabled trigger update_%_updated_at', t, t;
    END IF;
    EXECUTE format('ALTER TABLE public.%I DISABLE TRIGGER USER', t);
    EXECUTE format('UPDATE public.%I SET updated_at = %L', t, '2000-01-01');
    EXECUTE format('ALTER TABLE public.%I ENABLE TRIGGER USER', t);
    EXECUTE format('UPDATE public.%I SET updated_at = updated_at', t);
    EXECUTE format('SELECT bool_and(updated_at = now()) AND count(*) > 0 FROM public.%I', t) INTO moved;  -- rows: step 4
    IF moved IS NOT TRUE THEN
      RAISE EXCEPTION 'an UPDATE on % did not move updated_at', t;
    END IF;
  END LOOP;
END $$;

-- 5. Defaults.
DO $$
BEGIN
  IF (SELECT (created_at, updated_at) <> (now()::timestamp, now()::timestamp) OR deleted_at IS NOT NULL
      FROM customers WHERE email = 'ann@acme.test') THEN
    RAISE EXCEPTION 'customers: created_at/updated_at should default to now(), deleted_at to NULL';
  END IF;
  IF (SELECT do_not_contact IS DISTINCT FROM false FROM customer_profiles WHERE id = 'c1000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'customer_profiles.do_not_contact should default to false';
  END IF;
  IF (SELECT currency IS DISTINCT FROM 'USD' FROM payment_records WHERE invoice_number = 'INV-0001') THEN
    RAISE EXCEPTION 'payment_records.currency should default to USD';
  END IF;
  IF (SELECT (current_task_count, max_concurrent_tasks, timezone) IS DISTINCT FROM (0, 5, 'UTC'::varchar)
      FROM agents WHERE id = 'a0000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'agents: current_task_count 0, max_concurrent_tasks 5, timezone UTC expected by default';
  END IF;
  IF (SELECT current_step IS DISTINCT FROM 0 FROM campaigns WHERE id = 'ca000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'campaigns.current_step should default to 0';
  END IF;
  IF (SELECT (attempts, max_attempts) IS DISTINCT FROM (0, 3) FROM tasks WHERE id = 'da000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'tasks: attempts 0, max_attempts 3 expected by default';
  END IF;
  IF (SELECT ("timestamp", created_at) IS DISTINCT FROM (now()::timestamp, now()::timestamp)
      FROM contact_attempts WHERE id = 'ea000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'contact_attempts: timestamp and created_at should default to now()';
  END IF;
  IF (SELECT (is_active, version) IS DISTINCT FROM (true, 1) FROM templates WHERE name = 'first_reminder') THEN
    RAISE EXCEPTION 'templates: is_active true, version 1 expected by default';
  END IF;
  IF (SELECT is_enabled IS DISTINCT FROM true FROM compliance_rules WHERE name = 'no_calls_at_night') THEN
    RAISE EXCEPTION 'compliance_rules.is_enabled should default to true';
  END IF;
  IF (SELECT opted_out_at IS DISTINCT FROM now()::timestamp FROM opt_outs WHERE id = 'fc000000-0000-0000-0000-000000000001')
     OR (SELECT "timestamp" IS DISTINCT FROM now()::timestamp FROM audit_logs WHERE id = 'fb000000-0000-0000-0000-000000000001')
     OR (SELECT "timestamp" IS DISTINCT FROM now()::timestamp FROM system_metrics WHERE id = 'fe000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'opt_outs.opted_out_at, audit_logs.timestamp, system_metrics.timestamp should default to now()';
  END IF;
  -- uuid primary keys come from gen_random_uuid() when not given.
  INSERT INTO customers (company_name, contact_name, email) VALUES
    ('Initech', 'Bill L.', 'bill@initech.test'), ('Umbrella', 'Al W.', 'al@umbrella.test');
  IF (SELECT count(DISTINCT id) FROM customers WHERE email IN ('bill@initech.test', 'al@umbrella.test')) <> 2 THEN
    RAISE EXCEPTION 'customers.id should default to a fresh gen_random_uuid()';
  END IF;
END $$;

-- 6. Closed value lists are CHECK constraints; ranges too.
DO $$ BEGIN
  PERFORM pg_temp.enum_check('customers', 'preferred_contact_method', 'c0000000-0000-0000-0000-000000000001',
                            '{email,phone,sms}', true);
  PERFORM pg_temp.enum_check('customer_profiles', 'risk_level', 'c1000000-0000-0000-0000-000000000001',
                            '{low,medium,high,critical}', true);
  PERFORM pg_temp.enum_check('customer_profiles', 'communication_style', 'c1000000-0000-0000-0000-000000000001',
                            '{formal,casual,direct,diplomatic}', true);
  PERFORM pg_temp.enum_check('payment_records', 'status', 'b0000000-0000-0000-0000-000000000001',
                            '{pending,overdue,paid,partial,cancelled}', false);
  PERFORM pg_temp.enum_check('agents', 'type', 'a0000000-0000-0000-0000-000000000001',
                            '{email,phone,sms,research}', false);
  PERFORM pg_temp.enum_check('agents', 'status', 'a0000000-0000-0000-0000-000000000001',
                            '{idle,active,busy,error,offline}', false);
  PERFORM pg_temp.enum_check('campaigns', 'status', 'ca000000-0000-0000-0000-000000000001',
                            '{draft,active,paused,completed,cancelled}', false);
  PERFORM pg_temp.enum_check('tasks', 'type', 'da000000-0000-0000-0000-000000000001',
                            '{send_email,make_call,send_sms,research_customer,escalate,follow_up}', false);
  PERFORM pg_temp.enum_check('tasks', 'priority', 'da000000-0000-0000-0000-000000000001',
                            '{low,medium,high,urgent}', false);
  PERFORM pg_temp.enum_check('tasks', 'status', 'da000000-0000-0000-0000-000000000001',
                            '{pending,assigned,in_progress,completed,failed,cancelled}', false);
  PERFORM pg_temp.enum_check('contact_attempts', 'channel', 'ea000000-0000-0000-0000-000000000001',
                            '{email,phone,sms}', false);
  PERFORM pg_temp.enum_check('contact_attempts', 'status', 'ea000000-0000-0000-0000-000000000001',
                            '{sent,delivered,opened,answered,replied,bounced,failed}', false);
  PERFORM pg_temp.enum_check('templates', 'type', 'fa000000-0000-0000-0000-000000000001',
                            '{email,sms,phone_script}', false);
  PERFORM pg_temp.enum_check('templates', 'channel', 'fa000000-0000-0000-0000-000000000001',
                            '{email,phone,sms}', false);
  PERFORM pg_temp.enum_check('audit_logs', 'actor_type', 'fb000000-0000-0000-0000-000000000001',
                            '{agent,user,system}', true);
  PERFORM pg_temp.enum_check('opt_outs', 'channel', 'fc000000-0000-0000-0000-000000000001',
                            '{email,phone,sms,all}', false);
  PERFORM pg_temp.enum_check('compliance_rules', 'action', 'fd000000-0000-0000-0000-000000000001',
                            '{block_contact,require_approval,log_warning,escalate}', false);
  PERFORM pg_temp.enum_check('compliance_rules', 'severity', 'fd000000-0000-0000-0000-000000000001',
                            '{low,medium,high,critical}', true);
END $$;

-- risk_score 0-100, response_rate 0-1 (bounds included).
DO $$ BEGIN
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET risk_score = 0, response_rate = 0 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, 'ok');
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET risk_score = 100, response_rate = 1 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, 'ok');
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET risk_score = 100.01 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, '23514');
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET risk_score = -0.01 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, '23514');
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET response_rate = 1.01 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, '23514');
  PERFORM pg_temp.expect($q$UPDATE customer_profiles SET response_rate = -0.01 WHERE id = 'c1000000-0000-0000-0000-000000000001'$q$, '23514');
END $$;

-- The seed's open lists ("..., etc.") are not constrained: values beyond the examples are accepted.
DO $$ BEGIN
  PERFORM pg_temp.expect($q$UPDATE templates SET category = 'courtesy_note' WHERE name = 'first_reminder'$q$, 'ok');
  PERFORM pg_temp.expect($q$UPDATE audit_logs SET entity_type = 'template', action = 'archived' WHERE id = 'fb000000-0000-0000-0000-000000000001'$q$, 'ok');
  PERFORM pg_temp.expect($q$UPDATE compliance_rules SET rule_type = 'geo_restriction' WHERE name = 'no_calls_at_night'$q$, 'ok');
  PERFORM pg_temp.expect($q$UPDATE system_metrics SET metric_type = 'queue_depth' WHERE id = 'fe000000-0000-0000-0000-000000000001'$q$, 'ok');
END $$;

-- NOT NULL on a few required columns.
DO $$ BEGIN
  PERFORM pg_temp.expect($q$INSERT INTO payment_records (customer_id, amount, due_date, status) VALUES ('c0000000-0000-0000-0000-000000000001', 1, '2025-01-01', 'pending')$q$, '23502');
  PERFORM pg_temp.expect($q$INSERT INTO agents (type, status) VALUES ('sms', 'idle')$q$, '23502');
  PERFORM pg_temp.expect($q$INSERT INTO tasks (type, priority, customer_id, status) VALUES ('escalate', 'urgent', 'c0000000-0000-0000-0000-000000000001', 'pending')$q$, '23502');
END $$;

-- 7. UNIQUE constraints reject duplicates.
DO $$ BEGIN
  PERFORM pg_temp.expect($q$INSERT INTO customers (company_name, contact_name, email) VALUES ('Acme 2', 'Ann', 'ann@acme.test')$q$, '23505');
  PERFORM pg_temp.expect($q$INSERT INTO payment_records (customer_id, amount, due_date, status, invoice_number) VALUES ('c0000000-0000-0000-0000-000000000002', 5, '2025-05-01', 'pending', 'INV-0001')$q$, '23505');
  PERFORM pg_temp.expect($q$INSERT INTO templates (name, type, channel, content) VALUES ('first_reminder', 'sms', 'sms', 'x')$q$, '23505');
  PERFORM pg_temp.expect($q$INSERT INTO compliance_rules (name, rule_type, condition, action) VALUES ('no_calls_at_night', 'x', '{}', 'log_warning')$q$, '23505');
  -- UNIQUE(customer_id, channel): one opt-out per customer and channel ...
  PERFORM pg_temp.expect($q$INSERT INTO opt_outs (customer_id, channel) VALUES ('c0000000-0000-0000-0000-000000000001', 'sms')$q$, '23505');
  -- ... but the same customer on another channel, or another customer on the same channel, is fine.
  PERFORM pg_temp.expect($q$INSERT INTO opt_outs (customer_id, channel) VALUES ('c0000000-0000-0000-0000-000000000001', 'email')$q$, 'ok');
  PERFORM pg_temp.expect($q$INSERT INTO opt_outs (customer_id, channel) VALUES ('c0000000-0000-0000-0000-000000000002', 'sms')$q$, 'ok');
  -- Foreign keys reject orphans.
  PERFORM pg_temp.expect($q$INSERT INTO opt_outs (customer_id, channel) VALUES ('c0000000-0000-0000-0000-0000000000ff', 'all')$q$, '23503');
END $$;

-- 8. ON DELETE actions.
DO $$
BEGIN
  -- Deleting a payment record: tasks and campaigns about it stay, their payment_record_id becomes NULL.
  DELETE FROM payment_records WHERE id = 'b0000000-0000-0000-0000-000000000001';
  IF (SELECT count(*) FROM tasks WHERE id IN ('da000000-0000-0000-0000-000000000001', 'da000000-0000-0000-0000-000000000002')
      AND payment_record_id IS NULL) <> 2 THEN
    RAISE EXCEPTION 'tasks.payment_record_id should be SET NULL when the payment record is deleted';
  END IF;
  IF (SELECT payment_record_id IS NOT NULL FROM campaigns WHERE id = 'ca000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'campaigns.payment_record_id should be SET NULL when the payment record is deleted';
  END IF;

  -- Deleting a campaign: its tasks go (CASCADE) and with them their contact attempts; other attempts
  -- recorded against the campaign stay, with campaign_id NULL.
  DELETE FROM campaigns WHERE id = 'ca000000-0000-0000-0000-000000000001';
  IF EXISTS (SELECT FROM tasks WHERE id = 'da000000-0000-0000-0000-000000000001')
     OR EXISTS (SELECT FROM contact_attempts WHERE id = 'ea000000-0000-0000-0000-000000000002') THEN
    RAISE EXCEPTION 'tasks.campaign_id should CASCADE (and contact_attempts.task_id after it)';
  END IF;
  IF (SELECT campaign_id IS NOT NULL FROM contact_attempts WHERE id = 'ea000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'contact_attempts.campaign_id should be SET NULL when the campaign is deleted';
  END IF;

  -- Deleting an agent: assigned tasks stay unassigned; the agent's contact attempts go.
  DELETE FROM agents WHERE id = 'a0000000-0000-0000-0000-000000000002';
  IF (SELECT assigned_agent_id IS NOT NULL FROM tasks WHERE id = 'da000000-0000-0000-0000-000000000002') THEN
    RAISE EXCEPTION 'tasks.assigned_agent_id should be SET NULL when the agent is deleted';
  END IF;
  IF EXISTS (SELECT FROM contact_attempts WHERE id = 'ea000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'contact_attempts.agent_id should CASCADE';
  END IF;

  -- Deleting a customer (a hard delete; soft deletes set deleted_at) removes everything of theirs.
  DELETE FROM customers WHERE id = 'c0000000-0000-0000-0000-000000000002';
  IF EXISTS (SELECT FROM customer_profiles WHERE customer_id = 'c0000000-0000-0000-0000-000000000002')
     OR EXISTS (SELECT FROM payment_records WHERE customer_id = 'c0000000-0000-0000-0000-000000000002')
     OR EXISTS (SELECT FROM campaigns WHERE customer_id = 'c0000000-0000-0000-0000-000000000002')
     OR EXISTS (SELECT FROM tasks WHERE customer_id = 'c0000000-0000-0000-0000-000000000002')
     OR EXISTS (SELECT FROM contact_attempts WHERE customer_id = 'c0000000-0000-0000-0000-000000000002')
     OR EXISTS (SELECT FROM opt_outs WHERE customer_id = 'c0000000-0000-0000-0000-000000000002') THEN
    RAISE EXCEPTION 'deleting a customer should CASCADE to profiles, payment records, campaigns, tasks, attempts, opt-outs';
  END IF;
  -- The other customer's rows are untouched.
  IF NOT EXISTS (SELECT FROM customer_profiles WHERE customer_id = 'c0000000-0000-0000-0000-000000000001')
     OR NOT EXISTS (SELECT FROM opt_outs WHERE customer_id = 'c0000000-0000-0000-0000-000000000001') THEN
    RAISE EXCEPTION 'deleting one customer removed another customer''s rows';
  END IF;
END $$;

\echo 'escalation_calls smoke: all checks passed'
ROLLBACK;
