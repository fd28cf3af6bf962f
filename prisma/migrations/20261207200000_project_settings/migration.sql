-- A project's delivery settings: its brand (header prefix, branded signature format, envelope, user
-- agent), its default retry policy and its auto-disable threshold. Null until set: the step after
-- the migrations (src/core/db/prepare.ts) gives every project without them the deployment's
-- settings of that moment, once, so that what its receivers get does not change; from then on the
-- environment only gives new projects their first settings.
ALTER TABLE "projects"
  ADD COLUMN "header_prefix" TEXT,
  ADD COLUMN "signature_format" TEXT CHECK ("signature_format" IN ('hex', 'sha256=hex')),
  ADD COLUMN "envelope" TEXT,
  ADD COLUMN "user_agent" TEXT,
  ADD COLUMN "retry_policy" JSONB,
  ADD COLUMN "disable_after_failures" INTEGER CHECK ("disable_after_failures" >= 1);
