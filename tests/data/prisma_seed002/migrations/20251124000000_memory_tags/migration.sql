-- A later additive migration: a new enum value, a new table with an
-- autoincrement() id, nullable columns, an index on an existing table.
-- AlterEnum
ALTER TYPE "MessageRole" ADD VALUE 'function';

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "summary" TEXT,
ADD COLUMN     "summarized_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "MemoryNote" ADD COLUMN     "pinned" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "MemoryTag" (
    "id" SERIAL NOT NULL,
    "note_id" INTEGER NOT NULL,
    "label" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MemoryTag_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MemoryTag_note_id_label_key" ON "MemoryTag"("note_id", "label");

-- CreateIndex
CREATE INDEX "Message_role_idx" ON "Message"("role");

-- AddForeignKey
ALTER TABLE "MemoryTag" ADD CONSTRAINT "MemoryTag_note_id_fkey" FOREIGN KEY ("note_id") REFERENCES "MemoryNote"("id") ON DELETE CASCADE ON UPDATE CASCADE;
