import type pg from 'pg';
import type { Sql } from '../../core/db/sql.ts';

/** A pool or one of its clients: what a statement needs to run. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Runs `write` (the insert of a publish batch) holding the publish lock of every ordered webhook the
 * batch delivers to, in one transaction. Line positions come from a sequence when the insert runs
 * but become visible when it commits; two batches for one webhook committing the other way round
 * would let a worker take the later position first. Under the lock, position order is commit order.
 * Batches without ordered subscribers run as before: no transaction, no lock.
 */
export async function withLineLocks<T>(sql: Sql, webhookIds: string[], write: (q: Queryable) => Promise<T>): Promise<T> {
  if (!webhookIds.length) return write(sql);
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    // In key order, so that two batches locking several webhooks cannot deadlock.
    await client.query(
      `SELECT pg_advisory_xact_lock(k)
         FROM (SELECT DISTINCT hashtextextended('hookpost.line.publish:' || id, 0) AS k FROM unnest($1::text[]) AS id ORDER BY k) AS keys`,
      [webhookIds],
    );
    const result = await write(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
