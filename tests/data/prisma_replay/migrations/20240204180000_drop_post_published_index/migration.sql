-- DropIndex
DROP INDEX "Post_published_idx";
