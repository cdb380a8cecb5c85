-- CreateTable (edited: a cache that need not survive a crash)
CREATE UNLOGGED TABLE "PageView" (
    "id" SERIAL NOT NULL,
    "postId" INTEGER NOT NULL,
    "viewedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PageView_pkey" PRIMARY KEY ("id")
) WITH (autovacuum_vacuum_scale_factor = 0.01);

-- CreateIndex
CREATE INDEX "PageView_postId_idx" ON "PageView"("postId");
