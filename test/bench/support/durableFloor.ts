import pg from 'pg';
import { forkChild, ipcRequest, stopChild } from './children.ts';
import { cpuSeconds, postgresSeconds } from './cpu.ts';
import { createScratchDatabase, dropDatabase } from './databases.ts';
import type { Receiver } from './receiver.ts';
import { WORKER_CONCURRENCY } from './stack.ts';
import type { Summary } from './stats.ts';

/** As issue 31 measured it: six lanes, batches of 100, a pool of as many connections as a worker has slots. */
export const FLOOR_SHAPE = { lanes: 6, batchSize: 100, connections: WORKER_CONCURRENCY } as const;

// Tables shaped like ours, with only what the guarantees lean on: events and deliveries with their
// primary keys, the two indexes on deliveries a worker and a dashboard need (a webhook's deliveries,
// the open ones by status), and the attempt log's key on (delivery, attempt number) that keeps an
// attempt from being logged twice.
const SCHEMA = `
CREATE TYPE "DeliveryStatus" AS ENUM ('PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED');
CREATE TABLE events (
  id text PRIMARY KEY, project_id text NOT NULL, type text NOT NULL, data json NOT NULL,
  timestamp timestamp(3) NOT NULL DEFAULT now());
CREATE TABLE deliveries (
  id text PRIMARY KEY, project_id text NOT NULL, event_id text NOT NULL, webhook_id text NOT NULL,
  status "DeliveryStatus" NOT NULL DEFAULT 'PENDING', attempt_count int NOT NULL DEFAULT 0,
  created_at timestamp(3) NOT NULL DEFAULT now(), updated_at timestamp(3) NOT NULL DEFAULT now());
CREATE INDEX deliveries_webhook_id_id_idx ON deliveries (webhook_id, id);
CREATE INDEX deliveries_status_id_idx ON deliveries (status, id);
CREATE TABLE delivery_attempts (
  id text PRIMARY KEY, delivery_id text NOT NULL, attempt_number int NOT NULL, url text NOT NULL,
  request_headers jsonb NOT NULL, response_status int, response_headers jsonb, response_body text,
  duration_ms int NOT NULL, succeeded boolean NOT NULL, created_at timestamp(3) NOT NULL DEFAULT now(),
  UNIQUE (delivery_id, attempt_number));`;

export interface DurableFloor {
  /** Deliveries recorded as SUCCEEDED per second, over the measured deliveries (after a warm-up). */
  perSecond: number;
  delivered: number;
  seconds: number;
  /** Per statement, over the measured batches, ms. */
  insertMs: Summary;
  recordMs: Summary;
  /**
   * CPU ms per delivery: the script's over the measured deliveries (its own reading), all of
   * Postgres's and the receiver's over the whole run, warm-up included (from /proc).
   */
  cpuMsPerDelivery: { loop: number; postgres: number; receiver: number };
  /** The server's own settings behind "durable": the script asks for synchronous_commit on as well. */
  server: { fsync: string; walSyncMethod: string };
}

/** A delivery's CPU time at the floor, all parts together, ms. */
export const floorCpuMs = ({ cpuMsPerDelivery: c }: DurableFloor): number => Number((c.loop + c.postgres + c.receiver).toFixed(3));

async function withScratchDatabase<T>(name: string, fn: (url: string, db: pg.Client) => Promise<T>): Promise<T> {
  const url = await createScratchDatabase(name);
  const db = new pg.Client({ connectionString: url });
  try {
    await db.connect();
    await db.query(SCHEMA);
    return await fn(url, db);
  } finally {
    await db.end().catch(() => {});
    await dropDatabase(name);
  }
}

let runs = 0;

/**
 * The floor on its own scratch database (never the app's tables), in its own process: `deliveries`
 * measured after a warm-up of a fifth as many (at most 2,000). Throws unless every one of them
 * arrived once and was recorded SUCCEEDED with its attempt.
 */
export async function measureDurableFloor(receiver: Receiver, deliveries: number): Promise<DurableFloor> {
  const n = ++runs;
  const tag = `floor-${n}`;
  const warmUpDeliveries = Math.min(2000, Math.round(deliveries / 5));
  return withScratchDatabase(`hookpost_bench_floor_${process.pid}_${n}`, async (databaseUrl, db) => {
    const child = forkChild('durableFloor');
    try {
      const before = { postgres: await postgresSeconds(), receiver: await cpuSeconds(receiver.pid) };
      const result = await ipcRequest<Omit<DurableFloor, 'cpuMsPerDelivery' | 'server'> & { sent: number; failed: number; scriptCpuMsPerDelivery: number }>(
        child,
        { cmd: 'run', databaseUrl, url: receiver.url(`/floor/${n}`), tag, deliveries, warmUpDeliveries, ...FLOOR_SHAPE },
        120_000 + deliveries,
      );
      const after = { postgres: await postgresSeconds(), receiver: await cpuSeconds(receiver.pid) };
      await receiver.flush();
      const { rows } = await db.query<{ succeeded: number; attempts: number; fsync: string; wal: string }>(
        `SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'SUCCEEDED') AS succeeded,
                (SELECT count(*)::int FROM delivery_attempts) AS attempts,
                current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS wal`,
      );
      const { succeeded, attempts, fsync, wal } = rows[0];
      const arrived = receiver.count(tag);
      if (result.failed || succeeded !== result.sent || attempts !== result.sent || arrived !== result.sent) {
        throw new Error(
          `durable floor: ${result.sent} sent, ${arrived} arrived, ${succeeded} recorded SUCCEEDED, ${attempts} attempts, ${result.failed} not 2xx`,
        );
      }
      const per = (k: keyof typeof before) => Number(((1000 * (after[k] - before[k])) / result.sent).toFixed(3));
      const { sent: _, failed: __, scriptCpuMsPerDelivery, ...figures } = result;
      return {
        ...figures,
        cpuMsPerDelivery: { loop: scriptCpuMsPerDelivery, postgres: per('postgres'), receiver: per('receiver') },
        server: { fsync, walSyncMethod: wal },
      };
    } finally {
      receiver.forget(tag);
      await stopChild(child);
    }
  });
}
