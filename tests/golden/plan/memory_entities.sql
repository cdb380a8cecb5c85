-- schemadiff plan of examples/memory_entities/schema against <database>
-- schemadiff plan (schemadiff.plan/v1): 50 statement(s) in 3 phase(s)
-- made against database state sha256:<masked>
\set ON_ERROR_STOP on
SET standard_conforming_strings = on;

-- phase 1/3: transactional (one transaction)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';

-- [SD103] type public.MessageRole: create enum (user, assistant, system, tool)
CREATE TYPE public."MessageRole" AS ENUM ('user', 'assistant', 'system', 'tool');

-- [SD105] table public.Customer: create table (7 columns, primary key, 3 indexes)
CREATE TABLE public."Customer" (
  id text NOT NULL,
  name text,
  phone text,
  email text,
  metadata jsonb,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  updated_at timestamp(3) without time zone NOT NULL,
  CONSTRAINT "Customer_pkey" PRIMARY KEY (id)
);

-- [SD105] table public.Conversation: create table (10 columns, primary key, 2 constraints, 5 indexes)
CREATE TABLE public."Conversation" (
  id text NOT NULL,
  customer_id text,
  lead_id text,
  channel text NOT NULL,
  external_id text,
  started_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  last_message_at timestamp(3) without time zone,
  metadata jsonb,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  updated_at timestamp(3) without time zone NOT NULL,
  CONSTRAINT "Conversation_pkey" PRIMARY KEY (id),
  CONSTRAINT "Conversation_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES public."Customer" (id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT "Conversation_lead_id_fkey" FOREIGN KEY (lead_id) REFERENCES public."Lead" (id) ON DELETE SET NULL ON UPDATE CASCADE
);

-- [SD105] table public.CustomerAddress: create table (11 columns, primary key, 1 constraint, 2 indexes)
CREATE TABLE public."CustomerAddress" (
  id text NOT NULL,
  customer_id text NOT NULL,
  address text NOT NULL,
  city text,
  state text,
  zip text,
  lat double precision,
  lng double precision,
  is_primary boolean DEFAULT false NOT NULL,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  updated_at timestamp(3) without time zone NOT NULL,
  CONSTRAINT "CustomerAddress_pkey" PRIMARY KEY (id),
  CONSTRAINT "CustomerAddress_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES public."Customer" (id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- [SD105] table public.JobEvent: create table (6 columns, primary key, 1 constraint, 3 indexes)
CREATE TABLE public."JobEvent" (
  id text NOT NULL,
  job_id text NOT NULL,
  event_type text NOT NULL,
  actor text,
  metadata jsonb,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  CONSTRAINT "JobEvent_pkey" PRIMARY KEY (id),
  CONSTRAINT "JobEvent_job_id_fkey" FOREIGN KEY (job_id) REFERENCES public."Job" (id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- [SD105] table public.JobItem: create table (9 columns, primary key, 1 constraint, 1 index)
CREATE TABLE public."JobItem" (
  id text NOT NULL,
  job_id text NOT NULL,
  description text NOT NULL,
  quantity numeric(10,2) DEFAULT 1 NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  total numeric(10,2) NOT NULL,
  metadata jsonb,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  updated_at timestamp(3) without time zone NOT NULL,
  CONSTRAINT "JobItem_pkey" PRIMARY KEY (id),
  CONSTRAINT "JobItem_job_id_fkey" FOREIGN KEY (job_id) REFERENCES public."Job" (id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- [SD105] table public.MemoryNote: create table (8 columns, primary key, 1 constraint, 4 indexes)
CREATE TABLE public."MemoryNote" (
  id text NOT NULL,
  customer_id text NOT NULL,
  conversation_id text,
  content text NOT NULL,
  metadata jsonb,
  expires_at timestamp(3) without time zone,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  updated_at timestamp(3) without time zone NOT NULL,
  CONSTRAINT "MemoryNote_pkey" PRIMARY KEY (id),
  CONSTRAINT "MemoryNote_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES public."Customer" (id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- [SD105] table public.Message: create table (6 columns, primary key, 1 constraint, 3 indexes)
CREATE TABLE public."Message" (
  id text NOT NULL,
  conversation_id text NOT NULL,
  role public."MessageRole" NOT NULL,
  content text NOT NULL,
  metadata jsonb,
  created_at timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
  CONSTRAINT "Message_pkey" PRIMARY KEY (id),
  CONSTRAINT "Message_conversation_id_fkey" FOREIGN KEY (conversation_id) REFERENCES public."Conversation" (id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- [SD106] table public.Job: add column customer_id text
ALTER TABLE public."Job" ADD COLUMN customer_id text;

-- [SD106] table public.Lead: add column customer_id text
ALTER TABLE public."Lead" ADD COLUMN customer_id text;

-- [SD105] table public.Conversation: create table: index Conversation_channel_external_id_key
CREATE UNIQUE INDEX "Conversation_channel_external_id_key" ON public."Conversation" (channel, external_id);

-- [SD105] table public.Conversation: create table: index Conversation_customer_id_idx
CREATE INDEX "Conversation_customer_id_idx" ON public."Conversation" (customer_id);

-- [SD105] table public.Conversation: create table: index Conversation_last_message_at_idx
CREATE INDEX "Conversation_last_message_at_idx" ON public."Conversation" (last_message_at);

-- [SD105] table public.Conversation: create table: index Conversation_lead_id_idx
CREATE INDEX "Conversation_lead_id_idx" ON public."Conversation" (lead_id);

-- [SD105] table public.Conversation: create table: index Conversation_started_at_idx
CREATE INDEX "Conversation_started_at_idx" ON public."Conversation" (started_at);

-- [SD105] table public.Conversation: create table: comment on the table
COMMENT ON TABLE public."Conversation" IS 'A message thread on one channel, optionally linked to a customer and a lead.';

-- [SD105] table public.Conversation: create table: comment on column channel
COMMENT ON COLUMN public."Conversation".channel IS 'The channel the thread runs on: sms, voice, web, email, ...';

-- [SD105] table public.Conversation: create table: comment on column external_id
COMMENT ON COLUMN public."Conversation".external_id IS 'The channel''s own thread id; NULL when the channel has none.';

-- [SD105] table public.Customer: create table: index Customer_created_at_idx
CREATE INDEX "Customer_created_at_idx" ON public."Customer" (created_at);

-- [SD105] table public.Customer: create table: index Customer_email_idx
CREATE INDEX "Customer_email_idx" ON public."Customer" (email);

-- [SD105] table public.Customer: create table: index Customer_phone_idx
CREATE INDEX "Customer_phone_idx" ON public."Customer" (phone);

-- [SD105] table public.Customer: create table: comment on the table
COMMENT ON TABLE public."Customer" IS 'Central customer entity (context memory); Lead and Job link to it through customer_id.';

-- [SD105] table public.Customer: create table: comment on column id
COMMENT ON COLUMN public."Customer".id IS 'A UUID string generated by the Prisma client.';

-- [SD105] table public.CustomerAddress: create table: index CustomerAddress_customer_id_idx
CREATE INDEX "CustomerAddress_customer_id_idx" ON public."CustomerAddress" (customer_id);

-- [SD105] table public.CustomerAddress: create table: index CustomerAddress_customer_id_is_primary_idx
CREATE INDEX "CustomerAddress_customer_id_is_primary_idx" ON public."CustomerAddress" (customer_id, is_primary);

-- [SD105] table public.CustomerAddress: create table: comment on the table
COMMENT ON TABLE public."CustomerAddress" IS 'Customer addresses (several per customer, one marked primary).';

-- [SD105] table public.JobEvent: create table: index JobEvent_event_type_idx
CREATE INDEX "JobEvent_event_type_idx" ON public."JobEvent" (event_type);

-- [SD105] table public.JobEvent: create table: index JobEvent_job_id_created_at_idx
CREATE INDEX "JobEvent_job_id_created_at_idx" ON public."JobEvent" (job_id, created_at);

-- [SD105] table public.JobEvent: create table: index JobEvent_job_id_idx
CREATE INDEX "JobEvent_job_id_idx" ON public."JobEvent" (job_id);

-- [SD105] table public.JobEvent: create table: comment on the table
COMMENT ON TABLE public."JobEvent" IS 'Audit trail of job lifecycle events; append-only.';

-- [SD105] table public.JobEvent: create table: comment on column event_type
COMMENT ON COLUMN public."JobEvent".event_type IS 'created, scheduled, dispatched, completed, cancelled, ...';

-- [SD105] table public.JobEvent: create table: comment on column actor
COMMENT ON COLUMN public."JobEvent".actor IS 'Who caused the event: a user id, system, or an agent name.';

-- [SD105] table public.JobItem: create table: index JobItem_job_id_idx
CREATE INDEX "JobItem_job_id_idx" ON public."JobItem" (job_id);

-- [SD105] table public.JobItem: create table: comment on the table
COMMENT ON TABLE public."JobItem" IS 'A line item of a job.';

-- [SD105] table public.MemoryNote: create table: index MemoryNote_conversation_id_idx
CREATE INDEX "MemoryNote_conversation_id_idx" ON public."MemoryNote" (conversation_id);

-- [SD105] table public.MemoryNote: create table: index MemoryNote_created_at_idx
CREATE INDEX "MemoryNote_created_at_idx" ON public."MemoryNote" (created_at);

-- [SD105] table public.MemoryNote: create table: index MemoryNote_customer_id_idx
CREATE INDEX "MemoryNote_customer_id_idx" ON public."MemoryNote" (customer_id);

-- [SD105] table public.MemoryNote: create table: index MemoryNote_expires_at_idx
CREATE INDEX "MemoryNote_expires_at_idx" ON public."MemoryNote" (expires_at);

-- [SD105] table public.MemoryNote: create table: comment on the table
COMMENT ON TABLE public."MemoryNote" IS 'A persistent memory note about a customer.';

-- [SD105] table public.MemoryNote: create table: comment on column expires_at
COMMENT ON COLUMN public."MemoryNote".expires_at IS 'NULL means the note never expires.';

-- [SD105] table public.Message: create table: index Message_conversation_id_created_at_idx
CREATE INDEX "Message_conversation_id_created_at_idx" ON public."Message" (conversation_id, created_at);

-- [SD105] table public.Message: create table: index Message_conversation_id_idx
CREATE INDEX "Message_conversation_id_idx" ON public."Message" (conversation_id);

-- [SD105] table public.Message: create table: index Message_created_at_idx
CREATE INDEX "Message_created_at_idx" ON public."Message" (created_at);

-- [SD105] table public.Message: create table: comment on the table
COMMENT ON TABLE public."Message" IS 'One message of a conversation; append-only (no updated_at).';

-- [SD109] table public.Job: add foreign key Job_customer_id_fkey (customer_id) -> public.Customer(id)
ALTER TABLE public."Job" ADD CONSTRAINT "Job_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES public."Customer" (id) ON DELETE SET NULL ON UPDATE CASCADE NOT VALID;

-- [SD109] table public.Lead: add foreign key Lead_customer_id_fkey (customer_id) -> public.Customer(id)
ALTER TABLE public."Lead" ADD CONSTRAINT "Lead_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES public."Customer" (id) ON DELETE SET NULL ON UPDATE CASCADE NOT VALID;

COMMIT;

-- phase 2/3: concurrent (concurrent index builds, outside any transaction)
SET lock_timeout = '5s';
SET statement_timeout = 0;
-- [SD107] table public.Job: add index Job_customer_id_idx
CREATE INDEX CONCURRENTLY "Job_customer_id_idx" ON public."Job" (customer_id);

SET lock_timeout = '5s';
SET statement_timeout = 0;
-- [SD107] table public.Lead: add index Lead_customer_id_idx
CREATE INDEX CONCURRENTLY "Lead_customer_id_idx" ON public."Lead" (customer_id);

RESET lock_timeout;
RESET statement_timeout;

-- phase 3/3: validate (validation, one transaction each)
BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = 0;
-- [SD109] table public.Job: add foreign key Job_customer_id_fkey (customer_id) -> public.Customer(id)
ALTER TABLE public."Job" VALIDATE CONSTRAINT "Job_customer_id_fkey";
COMMIT;

BEGIN;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = 0;
-- [SD109] table public.Lead: add foreign key Lead_customer_id_fkey (customer_id) -> public.Customer(id)
ALTER TABLE public."Lead" VALIDATE CONSTRAINT "Lead_customer_id_fkey";
COMMIT;
