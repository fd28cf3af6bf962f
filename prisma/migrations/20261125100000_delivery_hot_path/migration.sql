-- AlterTable: how many deliveries to one endpoint may be in flight at once (per worker process)
ALTER TABLE "webhooks" ADD COLUMN "max_concurrency" INTEGER NOT NULL DEFAULT 10;

-- AlterTable: a worker's claim on a delivery while it sends it; expired claims are taken over
ALTER TABLE "deliveries" ADD COLUMN "lease_until" TIMESTAMP(3);

-- CreateIndex: the reconciler scans only open deliveries
CREATE INDEX "deliveries_open_idx" ON "deliveries"("id") WHERE "status" IN ('PENDING', 'RETRYING');
