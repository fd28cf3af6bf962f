import type { Sql } from '../../src/core/db/sql.ts';
import type { Wakeup } from '../../src/core/queue/wakeups.ts';

/** Endpoints with deliveries due now, and how soon the next one not yet due will be. */
export interface DueWork extends Wakeup {
  /** Milliseconds until the earliest open delivery that is not due yet; null when there is none. */
  nextDueInMs: number | null;
}

/**
 * Every endpoint whose earliest open delivery is due: one index probe per endpoint with open
 * deliveries (a loose scan of the due index, which skips from one webhook to the next), however
 * many deliveries each holds. Ordered webhooks' lines are looked at by their heads. A due delivery
 * may still be under another worker's lease: the claim then finds nothing, which is cheap, and a
 * lease that ran out (a dead worker's) is taken over here within one look.
 */
export async function findDueWork(sql: Sql): Promise<DueWork> {
  const { rows } = await sql.query<{ webhook_id: string; line: boolean; in_ms: number }>(DUE_WORK);
  const due = rows.filter((r) => r.in_ms <= 0);
  const later = rows.filter((r) => r.in_ms > 0).map((r) => r.in_ms);
  return {
    webhookIds: due.filter((r) => !r.line).map((r) => r.webhook_id),
    lines: due.filter((r) => r.line).map((r) => r.webhook_id),
    nextDueInMs: later.length ? Math.min(...later) : null,
  };
}

// The recursive step takes the next webhook id above the last one from the due index; each
// webhook's first row there is its earliest open delivery. Open circuits are left to the probe
// (circuitBreaker.ts), disabled webhooks hold their deliveries.
const DUE_WORK = `
WITH RECURSIVE hooks(webhook_id, next_at) AS (
  (SELECT webhook_id, next_attempt_at FROM deliveries
    WHERE status IN ('PENDING', 'RETRYING') AND line_seq IS NULL
    ORDER BY webhook_id, next_attempt_at, id LIMIT 1)
  UNION ALL
  SELECT n.webhook_id, n.next_attempt_at FROM hooks h
   CROSS JOIN LATERAL (
     SELECT webhook_id, next_attempt_at FROM deliveries
      WHERE status IN ('PENDING', 'RETRYING') AND line_seq IS NULL AND webhook_id > h.webhook_id
      ORDER BY webhook_id, next_attempt_at, id LIMIT 1) n
)
SELECT h.webhook_id, false AS line, (EXTRACT(EPOCH FROM (h.next_at - now()::timestamp)) * 1000)::float8 AS in_ms
  FROM hooks h JOIN webhooks w ON w.id = h.webhook_id
 WHERE w.active AND w.circuit_state <> 'OPEN'
UNION ALL
SELECT w.id, true, (EXTRACT(EPOCH FROM (GREATEST(h.next_attempt_at, h.lease_until) - now()::timestamp)) * 1000)::float8
  FROM webhooks w
 CROSS JOIN LATERAL (
   SELECT d.next_attempt_at, d.lease_until FROM deliveries d
    WHERE d.webhook_id = w.id AND d.line_seq IS NOT NULL AND d.status IN ('PENDING', 'RETRYING')
    ORDER BY d.line_seq LIMIT 1) h
 WHERE w.ordered AND w.active`;
