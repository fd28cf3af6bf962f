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
