import type { Logger } from 'pino';
import { createBatcher } from '../../core/batcher.ts';
import type { Sql } from '../../core/db/sql.ts';
import type { WakeupQueue } from '../../core/queue/wakeups.ts';
import { withTimeout } from '../../core/withTimeout.ts';
import { createFilterCache } from '../filters/filterCache.ts';
import type { FilterDocument } from '../filters/webhookFilter.ts';
import { type Earlier, earlierEvents, keyOf } from './idempotency.ts';
import { type EventRow, type NewEvent, type Plan, planBatch, wakeupOf } from './publishPlan.ts';
import { insertBatch } from './publishInsert.ts';
import { createSubscriberCache, type Subscriber } from './subscribers.ts';

export type { EventRow, NewEvent };

export type WriteResult = { event: EventRow; deliveryCount: number; replayed: boolean } | { missingProject: string };

export interface EventWriter {
  /** Writes a group of events (one publish call) atomically, beside whatever else is being published. */
  write(group: NewEvent[]): Promise<WriteResult[]>;
  drain(): Promise<void>;
}

/** A wake-up that Redis does not take in this time is left to the workers' sweep. */
const WAKE_TIMEOUT_MS = 2000;
/** How long a batch's wake-up holds up the next batch's insert (see the batcher below). */
const WAKE_HOLD_MS = 50;
/**
 * How long a short batch waits for more publishes. Under load most publishes have waited that long
 * anyway, behind the batch in flight; a lone publish on an idle system answers 2 ms later.
 */
const PUBLISH_LINGER_MS = 2;
/** Reads of the subscribers one batch may need when webhooks keep changing under it. */
const MAX_ROUTING_TRIES = 5;

/** A publish call's results, and its deliveries' wake-up, which it answers after. */
type Written = { results: WriteResult[]; woken: Promise<void> };

/**
 * Group commit for publishing: the calls that arrive while a write is under way are written by the
 * next one — one INSERT of events and deliveries and one wake-up per batch, the subscribers read
 * only when their project's routing changed — so Postgres and Redis see a round trip or two per
 * batch instead of several per event. Each publish answers once its events are committed and the
 * workers told; with Redis away, after WAKE_TIMEOUT_MS, and the workers' sweep finds them.
 */
export function createEventWriter(deps: { sql: Sql; queue: WakeupQueue; logger: Logger }): EventWriter {
  const { sql } = deps;
  const filters = createFilterCache((err, filter) => deps.logger.warn({ err, filter }, 'a stored webhook filter failed; it matches nothing'));
  const accepts = (w: Subscriber, doc: () => FilterDocument) => w.filter === null || filters.get(w.filter)(doc());
  const subscribers = createSubscriberCache(sql);

  /** Plans and inserts the batch, reading the subscribers again while a project's webhooks change under it. */
  async function insert(all: NewEvent[], replays: Map<string, Earlier>): Promise<{ plan: Plan; inserted: Set<string> }> {
    for (let tries = 1; ; tries++) {
      const routing = await subscribers.routing(all);
      const plan = planBatch(all, routing, replays, accepts);
      const { inserted, stale } = await insertBatch(sql, plan, routing.versions);
      if (!stale.length) return { plan, inserted };
      // Nothing was written; read them again.
      subscribers.forget(stale);
      if (tries === MAX_ROUTING_TRIES) throw new Error(`webhooks of ${stale.join(', ')} kept changing while publishing`);
    }
  }

  async function flush(groups: NewEvent[][]): Promise<Written[]> {
    const all = groups.flat();
    const replays = await earlierEvents(sql, all);
    const { plan, inserted } = await insert(all, replays);
    const { rows, deliveries, planned } = plan;
    // A key another API process committed between our look-up and our insert: that event wins.
    const lost = new Set(rows.filter((r) => !inserted.has(r.id)).map((r) => keyOf(r.projectId, r.idempotencyKey)));
    const lateReplays = lost.size
      ? await earlierEvents(
          sql,
          all.filter((e) => e.idempotencyKey && lost.has(keyOf(e.projectId, e.idempotencyKey))),
        )
      : new Map();
    const committed = new Map<string, Earlier>([...replays, ...lateReplays]);
    const woken = track(wake(deliveries.filter((d) => inserted.has(d.eventId))));
    await withTimeout(woken, WAKE_HOLD_MS).catch(() => {});

    const resultOf = (e: NewEvent): WriteResult => {
      const plan = planned.get(e)!;
      if ('missingProject' in plan) return plan;
      if ('row' in plan && inserted.has(plan.row.id)) return { event: plan.row, deliveryCount: plan.count, replayed: false };
      const key = keyOf(e.projectId, e.idempotencyKey);
      const earlier = committed.get(key);
      if (earlier) return { ...earlier, replayed: true };
      // A key used twice in this batch: the first use is the event.
      const first = rows.find((r) => inserted.has(r.id) && keyOf(r.projectId, r.idempotencyKey) === key);
      if (first) return { event: first, deliveryCount: deliveries.filter((d) => d.eventId === first.id).length, replayed: true };
      throw new Error(`idempotency key ${e.idempotencyKey} neither inserted nor found`);
    };
    return groups.map((group) => ({ results: group.map(resultOf), woken }));
  }

  async function wake(deliveries: Plan['deliveries']): Promise<void> {
    if (!deliveries.length) return;
    try {
      // With Redis down, BullMQ would wait for it to return; the publisher should not.
      await withTimeout(deps.queue.wake(wakeupOf(deliveries)), WAKE_TIMEOUT_MS, 'wake-up');
    } catch (err) {
      // Not the publisher's failure: the deliveries are committed and the workers' sweep finds them.
      deps.logger.warn({ err, count: deliveries.length }, 'waking the workers failed; their sweep finds these deliveries');
    }
  }

  // Wake-ups still under way, for drain.
  const waking = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    waking.add(p);
    void p.finally(() => waking.delete(p));
    return p;
  };
  // One batch at a time, insert and wake-up: what arrives meanwhile makes the next batch, so a busy
  // API writes many events per statement. With Redis down, a wake-up waits its full timeout; the
  // next batch goes after WAKE_HOLD_MS, and each publish still answers once its own wake-up ends.
  const batcher = createBatcher(flush, { maxBatch: 64, lingerMs: PUBLISH_LINGER_MS });
  return {
    async write(group) {
      const { results, woken } = await batcher.submit(group);
      await woken;
      return results;
    },
    async drain() {
      await batcher.drain();
      await Promise.all(waking);
    },
  };
}
