import { type Queryable, withAdvisoryLocks } from '../../core/db/advisoryLocks.ts';
import type { Sql } from '../../core/db/sql.ts';

export type { Queryable };

/**
 * Runs `write` (the insert of a publish batch) holding the publish lock of every ordered webhook the
 * batch delivers to, in one transaction. Line positions come from a sequence when the insert runs
 * but become visible when it commits; two batches for one webhook committing the other way round
 * would let a worker take the later position first. Under the lock, position order is commit order.
 * Batches without ordered subscribers run as before: no transaction, no lock.
 */
export async function withLineLocks<T>(sql: Sql, webhookIds: string[], write: (q: Queryable) => Promise<T>): Promise<T> {
  if (!webhookIds.length) return write(sql);
  return withAdvisoryLocks(sql, 'hookpost.line.publish', webhookIds, write);
}

/**
 * Switches a webhook's ordering in one transaction under its publish lock. Turned off, its open
 * deliveries leave the line and go as the schedule says (positions mean something only while the
 * webhook is ordered: the claims rely on it); turned on, those published before stay outside the
 * line, and everything published after joins it.
 */
export async function setOrdered(sql: Sql, webhookId: string, ordered: boolean): Promise<void> {
  await withAdvisoryLocks(sql, 'hookpost.line.publish', [webhookId], async (client) => {
    await client.query('UPDATE webhooks SET ordered = $2, updated_at = now()::timestamp WHERE id = $1', [webhookId, ordered]);
    if (!ordered)
      await client.query(`UPDATE deliveries SET line_seq = NULL WHERE webhook_id = $1 AND status IN ('PENDING', 'RETRYING') AND line_seq IS NOT NULL`, [
        webhookId,
      ]);
  });
}
