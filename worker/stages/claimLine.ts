import { withAdvisoryLocks } from '../../src/core/db/advisoryLocks.ts';
import type { Sql } from '../../src/core/db/sql.ts';
import { DUE_COLUMNS, type DueDelivery, toDueDelivery } from './claim.ts';

/**
 * Claims the head of each of these ordered webhooks' lines, when it may go now. A line is a
 * webhook's open deliveries that have a position (`line_seq`, handed out at publish in commit order);
 * its head is the lowest open position. The head is claimed only when
 * - the webhook is active and ordered,
 * - no delivery of the line holds a live lease: neither the head itself nor the line's holder (the
 *   delivery last claimed for the line, which a replay may have put behind an older one),
 * - it is due (a failing head keeps the line waiting through its whole retry schedule).
 * Postgres is the arbiter between worker processes: each line's claim runs under a transaction-level
 * advisory lock, and its statement starts after the lock is granted, so it sees the previous claim's
 * lease. With leases this keeps one delivery per line in flight; a lease that runs out (a killed
 * worker) hands the same head to the next claim, so a receiver may see the head twice, never a later
 * one before it.
 */
export async function claimLineHeads(sql: Sql, webhookIds: string[], leaseMs: number): Promise<DueDelivery[]> {
  if (!webhookIds.length) return [];
  return withAdvisoryLocks(sql, 'hookpost.line.claim', webhookIds, async (client) => {
    const { rows } = await client.query(
      `WITH head AS (
         SELECT h.id
           FROM webhooks w
           CROSS JOIN LATERAL (
             SELECT d.id FROM deliveries d
              WHERE d.webhook_id = w.id AND d.line_seq IS NOT NULL AND d.status IN ('PENDING', 'RETRYING')
              ORDER BY d.line_seq LIMIT 1) AS h
          WHERE w.id = ANY($1::text[]) AND w.ordered AND w.active
            AND NOT EXISTS (SELECT 1 FROM deliveries l
                             WHERE l.id = w.line_holder_id AND l.status IN ('PENDING', 'RETRYING')
                               AND l.lease_until >= now()::timestamp)),
       claimed AS (
         UPDATE deliveries d
            SET lease_until = now()::timestamp + make_interval(secs => $2::float8 / 1000)
           FROM head, events e, webhooks w, projects p
          WHERE d.id = head.id AND e.id = d.event_id AND w.id = d.webhook_id AND p.id = d.project_id
            AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
            -- No early slack here (unlike claim.ts): the line is woken the moment its head settles,
            -- and a retry due in under a second must still wait for its time.
            AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now()::timestamp)
         RETURNING ${DUE_COLUMNS}),
       holder AS (
         UPDATE webhooks w SET line_holder_id = c.id FROM claimed c WHERE w.id = c.webhook_id)
       SELECT * FROM claimed`,
      [webhookIds, leaseMs],
    );
    return rows.map((r) => ({ ...toDueDelivery(r), line: true }));
  });
}
