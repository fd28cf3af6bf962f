import type { Logger } from 'pino';
import type { Db } from '../src/core/db/client.ts';
import { idFloor } from '../src/core/idTime.ts';
import type { Metrics } from '../src/core/metrics.ts';

export interface PurgeOptions {
  /** Rows per statement: small, so that each holds its locks only briefly. */
  attemptBatch?: number;
  eventBatch?: number;
  onBatch?: (kind: keyof Purged, count: number) => void;
}

export interface Purged {
  attempts: number;
  payloads: number;
}

/**
 * Removes what is older than `cutoff`: delivery attempts, and the payload (`data`, replaced by {}) of
 * events whose deliveries are all settled. Deliveries and the events' other columns stay. Work goes
 * in small batches, each its own short statement, so no lock is held for long and no table is
 * rewritten; rows another worker is purging at the same moment are skipped, not waited for.
 */
export async function purgeExpired(db: Db, cutoff: Date, opts: PurgeOptions = {}): Promise<Purged> {
  const { attemptBatch = 1000, eventBatch = 500, onBatch = () => {} } = opts;
  const purged: Purged = { attempts: 0, payloads: 0 };
  const at = cutoff.toISOString();
  // Ids are time-ordered: the id bound keeps each scan inside the expired range of the primary key.
  const attemptFloor = idFloor('DeliveryAttempt', cutoff);
  for (;;) {
    const deleted = await db.$executeRaw`
      DELETE FROM "delivery_attempts" WHERE "id" IN (
        SELECT "id" FROM "delivery_attempts"
         WHERE "id" < ${attemptFloor} AND "created_at" < (${at}::timestamptz AT TIME ZONE 'UTC')
         ORDER BY "id" LIMIT ${attemptBatch} FOR UPDATE SKIP LOCKED)`;
    purged.attempts += deleted;
    if (deleted) onBatch('attempts', deleted);
    if (deleted < attemptBatch) break;
  }
  // Events still waiting on a delivery stay unpurged and would be met again by every batch: walk the
  // partial index (events not purged yet) forward instead, one page of candidates at a time.
  const eventFloor = idFloor('Event', cutoff);
  let after = '';
  for (;;) {
    const page = await db.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "events"
       WHERE "data_purged_at" IS NULL AND "id" > ${after} AND "id" < ${eventFloor}
       ORDER BY "id" LIMIT ${eventBatch}`;
    if (page.length === 0) break;
    const emptied = await db.$executeRaw`
      UPDATE "events" AS e SET "data" = '{}'::json, "data_purged_at" = now() AT TIME ZONE 'UTC'
       WHERE e."id" = ANY(${page.map((r) => r.id)}::text[])
         AND e."data_purged_at" IS NULL
         AND e."timestamp" < (${at}::timestamptz AT TIME ZONE 'UTC')
         AND NOT EXISTS (SELECT 1 FROM "deliveries" AS d WHERE d."event_id" = e."id" AND d."status" IN ('PENDING', 'RETRYING'))`;
    purged.payloads += emptied;
    if (emptied) onBatch('payloads', emptied);
    if (page.length < eventBatch) break;
    after = page[page.length - 1].id;
  }
  return purged;
}

export interface Retention {
  /** Runs a purge now (or joins the one running). */
  runOnce(): Promise<Purged>;
  stop(): Promise<void>;
}

export interface RetentionSettings {
  retentionDays: number;
  retentionIntervalMs: number;
}

/** Purges on start and then every interval; retentionDays = 0 keeps everything. */
export function startRetention(
  deps: { db: Db; logger: Logger; metrics?: Pick<Metrics, 'retentionPurged'> },
  settings: RetentionSettings,
  now: () => number = Date.now,
): Retention {
  const none: Purged = { attempts: 0, payloads: 0 };
  if (settings.retentionDays <= 0) return { runOnce: async () => none, stop: async () => {} };
  const periodMs = settings.retentionDays * 24 * 3600_000;
  let running: Promise<Purged> | undefined;
  const runOnce = () => {
    running ??= purgeExpired(deps.db, new Date(now() - periodMs), {
      onBatch: (kind, count) => deps.metrics?.retentionPurged(kind, count),
    })
      .then((purged) => {
        if (purged.attempts || purged.payloads) deps.logger.info(purged, 'retention purged expired attempts and payloads');
        return purged;
      })
      .catch((err) => {
        deps.logger.error({ err }, 'retention purge failed; trying again next interval');
        return none;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void runOnce();
  const timer = setInterval(() => void runOnce(), settings.retentionIntervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
