-- Ordered endpoints: a webhook may take its deliveries one at a time, in the order their events were
-- committed (see worker/stages/claimLine.ts). Every step below is cheap on big tables: nullable
-- columns and a constant default add no rewrite, and the new deliveries index holds only the open
-- deliveries of ordered webhooks (none yet).

-- AlterTable: whether the webhook's deliveries go one at a time, in event order
ALTER TABLE "webhooks" ADD COLUMN "ordered" BOOLEAN NOT NULL DEFAULT false,
-- The delivery its line was last claimed for: while that one's lease lives, no other may go
ADD COLUMN "line_holder_id" TEXT;

-- Positions in the lines, handed out at publish in commit order (CACHE 1, the default, keeps them
-- increasing across sessions)
CREATE SEQUENCE "deliveries_line_seq" AS BIGINT;

-- AlterTable: a delivery's place in its webhook's line; null when its webhook was not ordered at publish
ALTER TABLE "deliveries" ADD COLUMN "line_seq" BIGINT;

-- CreateIndex: the head of a line (its lowest open position) in one index probe
CREATE INDEX "deliveries_line_idx" ON "deliveries"("webhook_id", "line_seq")
  WHERE "line_seq" IS NOT NULL AND "status" IN ('PENDING', 'RETRYING');

-- CreateIndex: the reconciler visits the ordered webhooks only
CREATE INDEX "webhooks_ordered_idx" ON "webhooks"("id") WHERE "ordered";
