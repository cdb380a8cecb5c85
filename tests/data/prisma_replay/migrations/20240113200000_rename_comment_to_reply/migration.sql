-- Renamed by hand: Prisma would drop and recreate. The table keeps its old
-- constraint, index and sequence names ("Comment_pkey", "Comment_id_seq", ...).
ALTER TABLE "Comment" RENAME TO "Reply";
