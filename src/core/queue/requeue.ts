import type { Sql } from '../db/sql.ts';
import type { DeliveryQueue } from './deliveryQueue.ts';
import { lineHeadJobs } from './lineHeads.ts';

const BATCH = 500;

export interface RequeueFilter {
  /** Only this webhook's deliveries (after it is enabled again). */
  webhookId?: string;
  /** Only deliveries untouched for this long: fresh ones are still in their publish job. */
  idleForMs?: number;
}

/**
 * Enqueues the next attempt of every open (PENDING or RETRYING) delivery of an active webhook that
 * no worker holds, in id (= event) order, a batch at a time. A RETRYING one keeps its scheduled time.
 * Job ids name the delivery and its attempt, so running this twice, or beside live traffic, adds
 * nothing twice; a delivery that is also in a publish job is claimed by whichever job runs first.
 * Of an ordered webhook's line only the head gets a job (see lineHeads.ts).
 */
export async function requeueOpenDeliveries(sql: Sql, queue: Pick<DeliveryQueue, 'enqueueAttempts'>, filter: RequeueFilter = {}): Promise<number> {
  let cursor = '';
  const heads = await lineHeadJobs(sql, { webhookIds: filter.webhookId ? [filter.webhookId] : undefined, idleForMs: filter.idleForMs });
  await queue.enqueueAttempts(heads);
  let total = heads.length;
  for (;;) {
    const { rows } = await sql.query<{ id: string; webhook_id: string; attempt_count: number; delay_ms: number | null }>(
      `SELECT d.id, d.webhook_id, d.attempt_count,
              (EXTRACT(EPOCH FROM (d.next_attempt_at - now()::timestamp)) * 1000)::float8 AS delay_ms
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status IN ('PENDING', 'RETRYING') AND w.active AND d.id > $1
          AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
          AND ($2::text IS NULL OR d.webhook_id = $2)
          AND NOT (w.ordered AND d.line_seq IS NOT NULL)
          AND ($3::float8 IS NULL OR d.updated_at < now()::timestamp - make_interval(secs => $3 / 1000))
        ORDER BY d.id LIMIT ${BATCH}`,
      [cursor, filter.webhookId ?? null, filter.idleForMs ?? null],
    );
    if (rows.length === 0) return total;
    await queue.enqueueAttempts(rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, attemptCount: r.attempt_count, delayMs: r.delay_ms ?? 0 })));
    total += rows.length;
    cursor = rows[rows.length - 1].id;
  }
}
