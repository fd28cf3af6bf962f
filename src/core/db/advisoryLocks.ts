import type pg from 'pg';
import { prepared, type Sql } from './sql.ts';

/** A pool or one of its clients: what a statement needs to run. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

const LOCK = prepared(
  'hookpost.advisoryLocks',
  `SELECT pg_advisory_xact_lock(k)
     FROM (SELECT DISTINCT hashtextextended($1 || ':' || id, 0) AS k FROM unnest($2::text[]) AS id ORDER BY k) AS keys`,
);

/**
 * Runs `work` in one transaction holding a transaction-level advisory lock for each id, named
 * `<namespace>:<id>`. The locks are taken in key order, so two callers locking overlapping sets
 * cannot deadlock; each statement of `work` starts after they are granted, so it sees what the
 * previous holder committed.
 */
export async function withAdvisoryLocks<T>(sql: Sql, namespace: string, ids: string[], work: (client: Queryable) => Promise<T>): Promise<T> {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    await client.query(LOCK([namespace, ids]));
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
