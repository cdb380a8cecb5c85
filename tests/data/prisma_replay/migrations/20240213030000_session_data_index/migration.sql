-- CreateIndex
CREATE INDEX "Session_data_idx" ON "Session" USING GIN ("data");
