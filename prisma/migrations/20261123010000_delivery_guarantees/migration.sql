-- AlterEnum
ALTER TYPE "DeliveryStatus" ADD VALUE 'RETRYING';

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "retry_policy" JSONB,
ADD COLUMN "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "disabled_reason" TEXT,
ADD COLUMN "disabled_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "events" ADD COLUMN "idempotency_key" TEXT;

-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN "schedule_offset" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE UNIQUE INDEX "events_project_id_idempotency_key_key" ON "events"("project_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "deliveries_status_id_idx" ON "deliveries"("status", "id");
