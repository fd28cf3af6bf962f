import type { Sql } from '../db/sql.ts';
import type { AttemptJob } from './deliveryQueue.ts';

export interface LineHeadFilter {
  /** Only these webhooks' lines; all ordered webhooks when left out. */
  webhookIds?: string[];
  /** Only heads untouched for this long: a fresh one is still in its publish job. */
  idleForMs?: number;
}

/**
 * The next attempt of the head of every ordered, active webhook's line (its lowest open position)
 * that no live lease holds. The deliveries behind a head have no job: whoever settles the head wakes
 * the line. Giving the head its job back (the reconciler, a webhook enabled or reordered, a worker
 * shutting down) is what restarts a line whose wake-up was lost with a worker or with Redis.
 */
export async function lineHeadJobs(sql: Pick<Sql, 'query'>, filter: LineHeadFilter = {}): Promise<AttemptJob[]> {
  const { rows } = await sql.query<{ id: string; webhook_id: string; attempt_count: number; delay_ms: number | null }>(
    `SELECT h.id, h.webhook_id, h.attempt_count,
            (EXTRACT(EPOCH FROM (h.next_attempt_at - now()::timestamp)) * 1000)::float8 AS delay_ms
       FROM webhooks w
       CROSS JOIN LATERAL (
         SELECT d.id, d.webhook_id, d.attempt_count, d.next_attempt_at, d.lease_until, d.updated_at
           FROM deliveries d
          WHERE d.webhook_id = w.id AND d.line_seq IS NOT NULL AND d.status IN ('PENDING', 'RETRYING')
          ORDER BY d.line_seq LIMIT 1) AS h
      WHERE w.ordered AND w.active
        AND ($1::text[] IS NULL OR w.id = ANY($1::text[]))
        AND (h.lease_until IS NULL OR h.lease_until < now()::timestamp)
        AND ($2::float8 IS NULL OR h.updated_at < now()::timestamp - make_interval(secs => $2 / 1000))`,
    [filter.webhookIds ?? null, filter.idleForMs ?? null],
  );
  return rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, attemptCount: r.attempt_count, delayMs: r.delay_ms ?? 0 }));
}
