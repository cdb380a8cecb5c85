-- AlterTable
ALTER TABLE "Reply" ADD COLUMN     "rating" SMALLINT,
ADD COLUMN     "score" DECIMAL(65,30);
