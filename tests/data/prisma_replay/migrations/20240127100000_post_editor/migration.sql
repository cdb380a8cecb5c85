-- AlterTable
ALTER TABLE "Post" ADD COLUMN     "editorId" INTEGER;
