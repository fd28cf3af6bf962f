import type { Db } from '../../core/db/client.ts';
import { CLOCK_SKEW_MARGIN_MS, idFloor } from '../../core/idTime.ts';
import { Prisma } from '../../generated/prisma/client.ts';

export const STATS_WINDOWS_MS = {
  LAST_HOUR: 3600_000,
  LAST_DAY: 24 * 3600_000,
  LAST_WEEK: 7 * 24 * 3600_000,
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS_MS;

/** Delivery attempts made in a window, as a dashboard shows them. */
export interface AttemptStats {
  total: number;
  succeeded: number;
  failed: number;
  /** succeeded / total; null when there was no attempt. */
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
}

/** A webhook, a project, or a tenant's webhooks in a project. */
export type StatsScope = { webhookId: string } | { projectId: string; tenantId?: string | null };

interface StatsRow {
  total: number;
  succeeded: number;
  p50: number | null;
  p95: number | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
}

/**
 * One pass over the scope's attempts in the window, in SQL. The index on (webhook_id | project_id, id)
 * INCLUDE (created_at, succeeded, duration_ms) makes it an index-only range scan: the id bound (ids
 * are time-ordered) narrows the range, created_at gives the exact edge.
 */
export async function attemptStats(db: Db, scope: StatsScope, window: StatsWindow, now = new Date()): Promise<AttemptStats> {
  const since = new Date(now.getTime() - STATS_WINDOWS_MS[window]);
  const floor = idFloor('DeliveryAttempt', new Date(since.getTime() - CLOCK_SKEW_MARGIN_MS));
  // A tenant's attempts: its few webhooks' index ranges, rather than filtering the whole project's.
  const owner =
    'webhookId' in scope
      ? Prisma.sql`"webhook_id" = ${scope.webhookId}`
      : scope.tenantId
        ? Prisma.sql`"webhook_id" IN (SELECT "id" FROM "webhooks" WHERE "project_id" = ${scope.projectId} AND "tenant_id" = ${scope.tenantId})`
        : Prisma.sql`"project_id" = ${scope.projectId}`;
  const [row] = await db.$queryRaw<StatsRow[]>`
    SELECT count(*)::int AS total,
           (count(*) FILTER (WHERE "succeeded"))::int AS succeeded,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY "duration_ms") AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY "duration_ms") AS p95,
           max("created_at") FILTER (WHERE "succeeded") AS last_success_at,
           max("created_at") FILTER (WHERE NOT "succeeded") AS last_failure_at
      FROM "delivery_attempts"
     WHERE ${owner}
       AND "id" >= ${floor}
       AND "created_at" >= (${since.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
  return {
    total: row.total,
    succeeded: row.succeeded,
    failed: row.total - row.succeeded,
    successRate: row.total ? row.succeeded / row.total : null,
    p50LatencyMs: row.p50,
    p95LatencyMs: row.p95,
    lastSuccessAt: row.last_success_at,
    lastFailureAt: row.last_failure_at,
  };
}

/** Deliveries not settled yet: waiting, retrying, or held while their webhook is disabled. */
export function backlog(db: Db, projectId: string, tenantId?: string | null): Promise<number> {
  return db.delivery.count({ where: { projectId, ...(tenantId ? { tenantId } : {}), status: { in: ['PENDING', 'RETRYING'] } } });
}
