-- The checks of seed 002 (Batch 1's validation and its "Foreign Key Delete Actions"), run after
-- prerequisites.sql and `schemadiff sql`. Any failed check raises, so
-- `psql -v ON_ERROR_STOP=1 -f smoke.sql` exits non-zero. Leaves no data (ROLLBACK).
BEGIN;

-- 1. Catalog: the enum, every new table, customer_id nullable on Lead and Job, every index of the
--    seed, and every foreign key with its delete action.
DO $$
DECLARE
  missing text;
BEGIN
  IF enum_range(NULL::"MessageRole")::text[] IS DISTINCT FROM ARRAY['user', 'assistant', 'system', 'tool'] THEN
    RAISE EXCEPTION 'smoke: MessageRole is %, expected {user,assistant,system,tool}',
      enum_range(NULL::"MessageRole");
  END IF;

  SELECT string_agg(t, ', ') INTO missing
  FROM unnest(ARRAY['Customer', 'CustomerAddress', 'Conversation', 'Message', 'MemoryNote',
                    'JobItem', 'JobEvent']) AS t
  WHERE to_regclass(format('public.%I', t)) IS NULL;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: missing tables: %', missing;
  END IF;

  SELECT string_agg(x.t || '.customer_id', ', ') INTO missing
  FROM unnest(ARRAY['Lead', 'Job']) AS x(t)
  WHERE NOT EXISTS (SELECT FROM information_schema.columns c
                    WHERE c.table_schema = 'public' AND c.table_name = x.t AND c.column_name = 'customer_id'
                      AND c.data_type = 'text' AND c.is_nullable = 'YES');
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: not a nullable text column: %', missing;
  END IF;

  SELECT string_agg(format('%s(%s)', e.tbl, e.cols), ', ') INTO missing
  FROM (VALUES
    ('Customer', 'phone'), ('Customer', 'email'), ('Customer', 'created_at'),
    ('CustomerAddress', 'customer_id'), ('CustomerAddress', 'customer_id,is_primary'),
    ('Conversation', 'customer_id'), ('Conversation', 'lead_id'), ('Conversation', 'last_message_at'),
    ('Conversation', 'started_at'),
    ('Message', 'conversation_id'), ('Message', 'conversation_id,created_at'), ('Message', 'created_at'),
    ('MemoryNote', 'customer_id'), ('MemoryNote', 'conversation_id'), ('MemoryNote', 'created_at'),
    ('MemoryNote', 'expires_at'),
    ('JobItem', 'job_id'),
    ('JobEvent', 'job_id'), ('JobEvent', 'job_id,created_at'), ('JobEvent', 'event_type'),
    ('Lead', 'customer_id'), ('Job', 'customer_id')
  ) AS e(tbl, cols)
  WHERE NOT EXISTS (
    SELECT FROM pg_index i
    WHERE i.indrelid = format('public.%I', e.tbl)::regclass
      AND (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
           FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = e.cols);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: missing indexes: %', missing;
  END IF;

  -- confdeltype: c = CASCADE, n = SET NULL, r = RESTRICT
  SELECT string_agg(format('%s.%s -> %s (%s)', e.tbl, e.col, e.ref, e.action), ', ') INTO missing
  FROM (VALUES
    ('CustomerAddress', 'customer_id', 'Customer', 'c'),
    ('Conversation', 'customer_id', 'Customer', 'n'),
    ('Conversation', 'lead_id', 'Lead', 'n'),
    ('Message', 'conversation_id', 'Conversation', 'c'),
    ('MemoryNote', 'customer_id', 'Customer', 'c'),
    ('JobItem', 'job_id', 'Job', 'c'),
    ('JobEvent', 'job_id', 'Job', 'c'),
    ('Lead', 'customer_id', 'Customer', 'n'),
    ('Job', 'customer_id', 'Customer', 'n'),
    ('Job', 'leadId', 'Lead', 'r')
  ) AS e(tbl, col, ref, action)
  WHERE NOT EXISTS (
    SELECT FROM pg_constraint k
    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
    WHERE k.contype = 'f' AND k.conrelid = format('public.%I', e.tbl)::regclass
      AND cardinality(k.conkey) = 1 AND a.attname = e.col
      AND k.confrelid = format('public.%I', e.ref)::regclass AND k.confdeltype = e.action
      AND k.conname = format('%s_%s_fkey', e.tbl, e.col));   -- Prisma's constraint names
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: missing or wrong foreign keys: %', missing;
  END IF;
END
$$;

-- 2. Existing traffic is unaffected: Lead and Job insert as before, without customer_id.
INSERT INTO "Lead" (id, name, phone, "updatedAt") VALUES ('lead-1', 'Smoke Lead', '+15550100', now());
INSERT INTO "Job" (id, "leadId", "updatedAt") VALUES ('job-1', 'lead-1', now());

-- 3. The new entities insert and link: Customer, address, conversation, messages, note, job items/events.
INSERT INTO "Customer" (id, name, phone, email, metadata, updated_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'Smoke Customer', '+15550100', 'smoke@example.com',
        '{"source": "smoke"}', now());
INSERT INTO "CustomerAddress" (id, customer_id, address, city, state, zip, lat, lng, is_primary, updated_at)
VALUES ('addr-1', '00000000-0000-4000-8000-000000000001', '1 Main St', 'Springfield', 'IL', '62701',
        39.7817, -89.6501, true, now()),
       ('addr-2', '00000000-0000-4000-8000-000000000001', '2 Side St', NULL, NULL, NULL, NULL, NULL, false, now());
UPDATE "Lead" SET customer_id = '00000000-0000-4000-8000-000000000001' WHERE id = 'lead-1';
UPDATE "Job"  SET customer_id = '00000000-0000-4000-8000-000000000001' WHERE id = 'job-1';
INSERT INTO "Conversation" (id, customer_id, lead_id, channel, external_id, updated_at)
VALUES ('conv-1', '00000000-0000-4000-8000-000000000001', 'lead-1', 'sms', 'thread-1', now());
INSERT INTO "Message" (id, conversation_id, role, content)
VALUES ('msg-1', 'conv-1', 'user', 'I have a couch to haul away.'),
       ('msg-2', 'conv-1', 'assistant', 'Happy to help: when suits you?'),
       ('msg-3', 'conv-1', 'system', 'Quote sent.'),
       ('msg-4', 'conv-1', 'tool', '{"quote": 150}');
INSERT INTO "MemoryNote" (id, customer_id, conversation_id, content, expires_at, updated_at)
VALUES ('note-1', '00000000-0000-4000-8000-000000000001', 'conv-1', 'Prefers morning pickups.', NULL, now());
INSERT INTO "JobItem" (id, job_id, description, unit_price, total, updated_at)
VALUES ('item-1', 'job-1', 'Couch', 75.00, 75.00, now());
INSERT INTO "JobEvent" (id, job_id, event_type, actor) VALUES ('event-1', 'job-1', 'scheduled', 'system');

DO $$
DECLARE
  qty numeric;
  started timestamp;
BEGIN
  SELECT quantity INTO qty FROM "JobItem" WHERE id = 'item-1';
  IF qty IS DISTINCT FROM 1 THEN
    RAISE EXCEPTION 'smoke: JobItem.quantity defaulted to %, expected 1', qty;
  END IF;
  SELECT started_at INTO started FROM "Conversation" WHERE id = 'conv-1';
  IF started IS NULL THEN
    RAISE EXCEPTION 'smoke: Conversation.started_at has no default';
  END IF;
END
$$;

-- 4. A duplicate (channel, external_id) is rejected; the same external_id on another channel is not,
--    nor are several threads without an external id (NULLs are distinct).
DO $$
BEGIN
  INSERT INTO "Conversation" (id, channel, external_id, updated_at) VALUES ('conv-dup', 'sms', 'thread-1', now());
  RAISE EXCEPTION 'smoke: duplicate (channel, external_id) was accepted';
EXCEPTION WHEN unique_violation THEN
  NULL;
END
$$;
INSERT INTO "Conversation" (id, channel, external_id, updated_at)
VALUES ('conv-2', 'email', 'thread-1', now()),
       ('conv-3', 'web', NULL, now()),
       ('conv-4', 'web', NULL, now());

-- 5. An invalid MessageRole is rejected.
DO $$
BEGIN
  INSERT INTO "Message" (id, conversation_id, role, content) VALUES ('msg-bad', 'conv-1', 'robot', 'beep');
  RAISE EXCEPTION 'smoke: invalid MessageRole was accepted';
EXCEPTION WHEN invalid_text_representation THEN
  NULL;
END
$$;

-- 6. Foreign keys hold: a message of an unknown conversation, an address of an unknown customer and
--    a lead link to an unknown customer are rejected.
DO $$
BEGIN
  BEGIN
    INSERT INTO "Message" (id, conversation_id, role, content) VALUES ('msg-orphan', 'no-such-conv', 'user', 'hi');
    RAISE EXCEPTION 'smoke: Message with an unknown conversation was accepted';
  EXCEPTION WHEN foreign_key_violation THEN
    NULL;
  END;
  BEGIN
    INSERT INTO "CustomerAddress" (id, customer_id, address, updated_at) VALUES ('addr-orphan', 'nobody', 'x', now());
    RAISE EXCEPTION 'smoke: CustomerAddress with an unknown customer was accepted';
  EXCEPTION WHEN foreign_key_violation THEN
    NULL;
  END;
  BEGIN
    UPDATE "Lead" SET customer_id = 'nobody' WHERE id = 'lead-1';
    RAISE EXCEPTION 'smoke: Lead.customer_id to an unknown customer was accepted';
  EXCEPTION WHEN foreign_key_violation THEN
    NULL;
  END;
END
$$;

-- 7. Deleting a Customer cascades to CustomerAddress and MemoryNote, and sets Conversation, Lead and
--    Job customer_id to NULL (soft unlink); the conversation and its messages survive.
DO $$
DECLARE
  n int;
BEGIN
  DELETE FROM "Customer" WHERE id = '00000000-0000-4000-8000-000000000001';
  SELECT count(*) INTO n FROM "CustomerAddress";
  IF n <> 0 THEN RAISE EXCEPTION 'smoke: % CustomerAddress rows survived their customer', n; END IF;
  SELECT count(*) INTO n FROM "MemoryNote";
  IF n <> 0 THEN RAISE EXCEPTION 'smoke: % MemoryNote rows survived their customer', n; END IF;
  IF (SELECT customer_id FROM "Conversation" WHERE id = 'conv-1') IS NOT NULL THEN
    RAISE EXCEPTION 'smoke: Conversation.customer_id was not set to NULL (or the conversation was deleted)';
  END IF;
  IF NOT EXISTS (SELECT FROM "Conversation" WHERE id = 'conv-1') THEN
    RAISE EXCEPTION 'smoke: the conversation was deleted with its customer';
  END IF;
  IF (SELECT customer_id FROM "Lead" WHERE id = 'lead-1') IS NOT NULL
     OR NOT EXISTS (SELECT FROM "Lead" WHERE id = 'lead-1') THEN
    RAISE EXCEPTION 'smoke: Lead.customer_id was not set to NULL';
  END IF;
  IF (SELECT customer_id FROM "Job" WHERE id = 'job-1') IS NOT NULL
     OR NOT EXISTS (SELECT FROM "Job" WHERE id = 'job-1') THEN
    RAISE EXCEPTION 'smoke: Job.customer_id was not set to NULL';
  END IF;
  SELECT count(*) INTO n FROM "Message" WHERE conversation_id = 'conv-1';
  IF n <> 4 THEN RAISE EXCEPTION 'smoke: % messages left after the customer delete, expected 4', n; END IF;
END
$$;

-- 8. Deleting a Conversation cascades to its messages.
DO $$
DECLARE
  n int;
BEGIN
  DELETE FROM "Conversation" WHERE id = 'conv-1';
  SELECT count(*) INTO n FROM "Message";
  IF n <> 0 THEN RAISE EXCEPTION 'smoke: % Message rows survived their conversation', n; END IF;
END
$$;

-- 9. Deleting a Lead that still has jobs is refused (the existing Job_leadId_fkey, RESTRICT); once the
--    job is gone, deleting it sets Conversation.lead_id to NULL. Deleting the Job cascades to its
--    items and events.
INSERT INTO "Conversation" (id, lead_id, channel, external_id, updated_at) VALUES ('conv-5', 'lead-1', 'voice', 'call-1', now());
DO $$
DECLARE
  n int;
BEGIN
  BEGIN
    DELETE FROM "Lead" WHERE id = 'lead-1';
    RAISE EXCEPTION 'smoke: a Lead with jobs was deleted';
  EXCEPTION WHEN restrict_violation OR foreign_key_violation THEN  -- RESTRICT: 23001 on PostgreSQL 18, 23503 before
    NULL;
  END;
  DELETE FROM "Job" WHERE id = 'job-1';
  SELECT count(*) INTO n FROM "JobItem";
  IF n <> 0 THEN RAISE EXCEPTION 'smoke: % JobItem rows survived their job', n; END IF;
  SELECT count(*) INTO n FROM "JobEvent";
  IF n <> 0 THEN RAISE EXCEPTION 'smoke: % JobEvent rows survived their job', n; END IF;
  DELETE FROM "Lead" WHERE id = 'lead-1';
  IF (SELECT lead_id FROM "Conversation" WHERE id = 'conv-5') IS NOT NULL
     OR NOT EXISTS (SELECT FROM "Conversation" WHERE id = 'conv-5') THEN
    RAISE EXCEPTION 'smoke: Conversation.lead_id was not set to NULL on Lead delete';
  END IF;
END
$$;

ROLLBACK;
