-- Postgres is the delivery schedule: every open delivery is due at its next_attempt_at, a fresh one
-- at its creation. A worker claims an endpoint's due deliveries straight from the index below (see
-- worker/stages/claim.ts), oldest due first, and the scan stops at the first one not yet due; it
-- finds which endpoints have due work by one probe per endpoint (worker/stages/dueWork.ts). An
-- ordered webhook's line is claimed by its own index (deliveries_line_idx).
ALTER TABLE "deliveries" ALTER COLUMN "next_attempt_at" SET DEFAULT CURRENT_TIMESTAMP;
UPDATE "deliveries" SET "next_attempt_at" = "created_at"
 WHERE "status" IN ('PENDING', 'RETRYING') AND "next_attempt_at" IS NULL;
-- An open delivery without a time would never come due: refused at the write that would make one.
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_open_has_time"
  CHECK ("status" NOT IN ('PENDING', 'RETRYING') OR "next_attempt_at" IS NOT NULL);
CREATE INDEX IF NOT EXISTS "deliveries_due_idx" ON "deliveries"("webhook_id", "next_attempt_at", "id")
  WHERE "status" IN ('PENDING', 'RETRYING') AND "line_seq" IS NULL;

-- A line's positions only mean something while its webhook is ordered: an endpoint no longer ordered
-- takes its open deliveries through the schedule above (an ordered one keeps those without a place).
UPDATE "deliveries" d SET "line_seq" = NULL
  FROM "webhooks" w
 WHERE w."id" = d."webhook_id" AND NOT w."ordered" AND d."line_seq" IS NOT NULL
   AND d."status" IN ('PENDING', 'RETRYING');

-- Circuits due a probe, found without reading every webhook.
CREATE INDEX IF NOT EXISTS "webhooks_circuit_probe_idx" ON "webhooks"("circuit_next_probe_at")
  WHERE "circuit_state" <> 'CLOSED';
