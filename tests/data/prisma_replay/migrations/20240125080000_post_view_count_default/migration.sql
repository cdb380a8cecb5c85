-- AlterTable
ALTER TABLE "Post" ALTER COLUMN "viewCount" SET DEFAULT 1;
