-- Operators: attempt rows carry their webhook and project (stats and lists read one index, no join),
-- and retention marks the events whose payload it removed.

-- AlterTable
ALTER TABLE "events" ADD COLUMN "data_purged_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "delivery_attempts" ADD COLUMN "webhook_id" TEXT,
ADD COLUMN "project_id" TEXT;

UPDATE "delivery_attempts" AS a
   SET "webhook_id" = d."webhook_id", "project_id" = d."project_id"
  FROM "deliveries" AS d
 WHERE d."id" = a."delivery_id";

ALTER TABLE "delivery_attempts" ALTER COLUMN "webhook_id" SET NOT NULL,
ALTER COLUMN "project_id" SET NOT NULL;

-- An insert that leaves the copies out (the worker may pass them itself and skip the lookup) gets
-- them from its delivery. No foreign keys: the delivery's own cascade already removes the attempt.
CREATE FUNCTION "delivery_attempts_fill_scope"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."webhook_id" IS NULL OR NEW."project_id" IS NULL THEN
    SELECT d."webhook_id", d."project_id" INTO NEW."webhook_id", NEW."project_id"
      FROM "deliveries" AS d WHERE d."id" = NEW."delivery_id";
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER "delivery_attempts_fill_scope" BEFORE INSERT ON "delivery_attempts"
  FOR EACH ROW EXECUTE FUNCTION "delivery_attempts_fill_scope"();

-- CreateIndex: newest-first lists of a webhook's or project's attempts, and their stats over a time
-- window as an index-only scan (ids are UUIDv7, so an id range is a time range).
CREATE INDEX "delivery_attempts_webhook_id_id_idx" ON "delivery_attempts"("webhook_id", "id")
  INCLUDE ("created_at", "succeeded", "duration_ms");

-- CreateIndex
CREATE INDEX "delivery_attempts_project_id_id_idx" ON "delivery_attempts"("project_id", "id")
  INCLUDE ("created_at", "succeeded", "duration_ms");

-- CreateIndex: only the events whose payload retention may still remove, oldest first.
CREATE INDEX "events_unpurged_id_idx" ON "events"("id") WHERE "data_purged_at" IS NULL;
