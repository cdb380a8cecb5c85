-- Raw SQL: no pending list for the session data index
ALTER INDEX "Session_data_idx" SET (fastupdate = off);
