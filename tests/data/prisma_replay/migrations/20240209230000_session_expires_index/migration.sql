-- CreateIndex (edited: a looser fillfactor for a hot index)
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt") WITH (fillfactor = 70);
