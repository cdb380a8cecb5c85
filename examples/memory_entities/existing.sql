-- The JunkQuote database as it stood before Batch 1 (20251110_add_memory_entities): the two existing
-- tables Batch 1 links to, as Prisma's earlier migrations created them. Invented for this example
-- (the seed does not show them); plain SQL, standalone. Batch 1 then adds customer_id to both.
CREATE TABLE "Lead" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "phone" TEXT,
    "email" TEXT,
    "address" TEXT,
    "source" TEXT,
    "status" TEXT NOT NULL DEFAULT 'new',
    "stateMetadata" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lead_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Job" (
    "id" TEXT NOT NULL,
    "leadId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'scheduled',
    "scheduledAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "price" DECIMAL(10,2),
    "notes" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Lead_status_idx" ON "Lead"("status");

CREATE INDEX "Lead_phone_idx" ON "Lead"("phone");

CREATE INDEX "Lead_createdAt_idx" ON "Lead"("createdAt");

CREATE INDEX "Job_leadId_idx" ON "Job"("leadId");

CREATE INDEX "Job_status_idx" ON "Job"("status");

CREATE INDEX "Job_scheduledAt_idx" ON "Job"("scheduledAt");

ALTER TABLE "Job" ADD CONSTRAINT "Job_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
