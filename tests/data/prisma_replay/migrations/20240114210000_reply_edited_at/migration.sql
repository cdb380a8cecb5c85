-- AlterTable
ALTER TABLE "Reply" ADD COLUMN     "editedAt" TIMESTAMP(3);
