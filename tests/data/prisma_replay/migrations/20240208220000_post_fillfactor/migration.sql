-- Raw SQL (prisma migrate dev --create-only): Post rows are updated in place often
ALTER TABLE "Post" SET (fillfactor = 80);
