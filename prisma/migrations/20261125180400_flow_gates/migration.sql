-- Flow gates: a per-endpoint rate limit, and the circuit breaker's state, kept on the webhook row so
-- that every worker process agrees on it.

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN "rate_limit_per_second" INTEGER,
ADD COLUMN "circuit_state" TEXT NOT NULL DEFAULT 'CLOSED',
ADD COLUMN "circuit_opened_at" TIMESTAMP(3),
ADD COLUMN "circuit_next_probe_at" TIMESTAMP(3),
ADD COLUMN "circuit_cooldown_seconds" DOUBLE PRECISION,
ADD COLUMN "circuit_probe_delivery_id" TEXT;

ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_circuit_state_check"
  CHECK ("circuit_state" IN ('CLOSED', 'OPEN', 'HALF_OPEN'));
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_rate_limit_per_second_check"
  CHECK ("rate_limit_per_second" BETWEEN 1 AND 10000);
