-- Tenants: the SaaS's own customers inside a project. A webhook with a tenant_id belongs to that
-- tenant (null: project-wide); an event carries the tenant it was published for (null: project-wide
-- or broadcast); a delivery carries the tenant of the endpoint it goes to, so a tenant's delivery log
-- is one index range. Ids are the SaaS's own, free-form, with no table of their own.

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "tenant_id" TEXT;
ALTER TABLE "events" ADD COLUMN "tenant_id" TEXT;
ALTER TABLE "deliveries" ADD COLUMN "tenant_id" TEXT;

-- CreateIndex: a tenant's webhooks (lists, and routing a publish to that tenant's subscribers)
CREATE INDEX "webhooks_project_id_tenant_id_id_idx" ON "webhooks"("project_id", "tenant_id", "id");

-- CreateIndex: a tenant's events, newest first
CREATE INDEX "events_project_id_tenant_id_id_idx" ON "events"("project_id", "tenant_id", "id");

-- CreateIndex: a tenant's deliveries, newest first
CREATE INDEX "deliveries_project_id_tenant_id_id_idx" ON "deliveries"("project_id", "tenant_id", "id");
