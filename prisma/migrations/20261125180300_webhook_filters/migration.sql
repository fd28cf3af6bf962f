-- Payload filters: a MongoDB-style query over each event that a webhook's deliveries must match.
-- NULL: no filter (every event of the subscribed types). Checked by the API before it is stored.

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "filter" JSONB;
