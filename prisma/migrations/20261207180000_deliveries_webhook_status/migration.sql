-- A webhook's deliveries in one status: the dead-letter count of one webhook (`deliveries(status:
-- FAILED, webhookId: …) { totalCount }`) reads that webhook's failed rows alone instead of every
-- delivery it ever had. A plain index, not a partial one on status = 'FAILED': Prisma compares the
-- status through a cast to the enum, which a partial index's predicate does not match.
-- The build holds writes to deliveries for its length (migrations run in a transaction, so not
-- CONCURRENTLY): on a large table, apply it in a quiet minute or create the index by hand first
-- with CREATE INDEX CONCURRENTLY under this name.

-- CreateIndex
CREATE INDEX IF NOT EXISTS "deliveries_webhook_id_status_idx" ON "deliveries"("webhook_id", "status");
