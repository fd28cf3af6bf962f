-- Routing version: bumped in the same transaction as any change to which webhooks of a project an
-- event goes to (a webhook added, removed, switched on or off, or its events, filter, ordering or
-- tenant changed), by whatever writes it: the API, a worker disabling a failing endpoint, or an
-- operator's SQL. API processes cache a project's subscribers and publish only if the version they
-- read them at is still the project's, in the very statement that inserts the events.
ALTER TABLE "projects" ADD COLUMN "webhooks_version" BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION "hookpost_routing_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "projects" SET "webhooks_version" = "webhooks_version" + 1 WHERE "id" = OLD."project_id";
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW."project_id" IS DISTINCT FROM OLD."project_id") THEN
    UPDATE "projects" SET "webhooks_version" = "webhooks_version" + 1 WHERE "id" = NEW."project_id";
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "webhooks_routing_added_or_removed" AFTER INSERT OR DELETE ON "webhooks"
  FOR EACH ROW EXECUTE FUNCTION "hookpost_routing_changed"();

-- Only what routing reads: a worker's failure streaks and circuit updates leave the version alone.
CREATE TRIGGER "webhooks_routing_updated" AFTER UPDATE ON "webhooks"
  FOR EACH ROW
  WHEN (OLD."active" IS DISTINCT FROM NEW."active" OR OLD."events" IS DISTINCT FROM NEW."events"
        OR OLD."filter" IS DISTINCT FROM NEW."filter" OR OLD."ordered" IS DISTINCT FROM NEW."ordered"
        OR OLD."tenant_id" IS DISTINCT FROM NEW."tenant_id" OR OLD."project_id" IS DISTINCT FROM NEW."project_id")
  EXECUTE FUNCTION "hookpost_routing_changed"();
