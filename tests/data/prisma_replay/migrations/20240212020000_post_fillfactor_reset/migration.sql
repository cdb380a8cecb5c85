-- Raw SQL: back to the default fillfactor
ALTER TABLE "Post" RESET (fillfactor);
