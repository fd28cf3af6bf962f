import { now, sleep } from './clock.ts';
import { eventData } from './fixtures.ts';
import type { Features, Gql } from './gql.ts';

const PUBLISH_EVENT = /* GraphQL */ `
  mutation Publish($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount event { id } } }
`;

export interface PublishTally {
  published: number;
  failed: number;
  firstError?: string;
  /** Each successful publish's round trip, from before the request to its answer, in ms. */
  publishMs: number[];
  startedAt: number;
  endedAt: number;
  /** How events went out: `publishEvents` batches, or single `publishEvent` calls. */
  via: string;
  /** Set once the tally is final: answers arriving later no longer change it. */
  closed: boolean;
}

function tally(via: string): PublishTally {
  return { published: 0, failed: 0, publishMs: [], startedAt: now(), endedAt: 0, via, closed: false };
}

function failedWith(t: PublishTally, err: unknown, events = 1): void {
  t.failed += events;
  t.firstError ??= err instanceof Error ? err.message : String(err);
}

/** A plain `publishEvent`, for warm-ups: nothing measured. */
export async function publishEvent(gql: Gql, type: string, data: Record<string, unknown>): Promise<void> {
  await gql.request(PUBLISH_EVENT, { input: { type, data } });
}

/** One `publishEvent` call; its data's `sentAt` is stamped just before the request leaves. */
async function publishOne(gql: Gql, t: PublishTally, type: string, tag: string, seq: number): Promise<void> {
  const data = eventData(tag, seq);
  try {
    await gql.request(PUBLISH_EVENT, { input: { type, data } });
    if (t.closed) return;
    t.publishMs.push(now() - data.sentAt);
    t.published++;
  } catch (err) {
    if (!t.closed) failedWith(t, err);
  }
}

export interface OpenLoopOptions {
  type: string;
  tag: string;
  ratePerSecond: number;
  durationMs: number;
  /** How long to wait for answers still outstanding when the schedule ends; later ones count as failed. */
  settleMs: number;
  progress?: (msg: string) => void;
}

/** Beyond this many unanswered publishes the load generator sheds events rather than queue them. */
const MAX_IN_FLIGHT = 10_000;

/**
 * Offers `ratePerSecond` single publishes for `durationMs` on a fixed schedule, whether or not earlier
 * ones have been answered (open loop: a slow API does not slow the offered load down). An event
 * shed because too many are outstanding counts as a failed publish.
 */
export async function openLoop(gql: Gql, o: OpenLoopOptions): Promise<PublishTally> {
  const t = tally('publishEvent, open loop');
  const total = Math.round((o.ratePerSecond * o.durationMs) / 1000);
  const inFlight = new Set<Promise<void>>();
  let issued = 0;
  let lastReport = t.startedAt;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((now() - t.startedAt) * o.ratePerSecond) / 1000) + 1);
    while (issued < due) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        issued++;
        failedWith(t, new Error(`shed: ${MAX_IN_FLIGHT} publishes already unanswered`));
        continue;
      }
      const p = publishOne(gql, t, o.type, o.tag, issued++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (o.progress && now() - lastReport > 5000) {
      lastReport = now();
      o.progress(`offered ${issued}/${total}: ${t.published} published, ${t.failed} failed or shed, ${inFlight.size} in flight`);
    }
    await sleep(1);
  }
  t.endedAt = now();
  const settled = await Promise.race([Promise.all(inFlight).then(() => true), sleep(o.settleMs).then(() => false)]);
  if (!settled) {
    // Unanswered publishes count as failed: their round trip is beyond any percentile.
    failedWith(t, new Error(`${inFlight.size} publishes unanswered ${o.settleMs} ms after the schedule ended`), inFlight.size);
  }
  t.closed = true;
  return t;
}

export interface ClosedLoopOptions {
  type: string;
  tag: string;
  total: number;
  clients: number;
  /** Stops issuing new requests at this time (now()-based). */
  deadline: number;
}

/** `clients` concurrent publishers, each sending its next event as soon as the last was answered. */
export async function closedLoop(gql: Gql, o: ClosedLoopOptions): Promise<PublishTally> {
  const t = tally(`publishEvent × ${o.clients} clients`);
  let next = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (next < o.total && now() < o.deadline) await publishOne(gql, t, o.type, o.tag, next++);
    }),
  );
  t.endedAt = now();
  t.closed = true;
  return t;
}

export interface BulkOptions extends ClosedLoopOptions {
  batchSize: number;
}

/**
 * Publishes `total` events in `publishEvents` batches from `clients` concurrent clients; when the API
 * has no bulk mutation, falls back to 64 concurrent single publishers.
 */
export async function bulkPublish(gql: Gql, features: Features, o: BulkOptions): Promise<PublishTally> {
  if (!features.publishEventsInput) return closedLoop(gql, { ...o, clients: 64 });
  const mutation = `mutation Bulk($input: ${features.publishEventsInput}) { publishEvents(input: $input) { deliveryCount } }`;
  const t = tally(`publishEvents, ${o.batchSize} per batch × ${o.clients} clients`);
  let next = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (next < o.total && now() < o.deadline) {
        const first = next;
        next = Math.min(o.total, next + o.batchSize);
        const events = Array.from({ length: next - first }, (_, i) => ({ type: o.type, data: eventData(o.tag, first + i) }));
        const started = events[0].data.sentAt;
        try {
          await gql.request(mutation, { input: { events } });
          t.publishMs.push(now() - started);
          t.published += events.length;
        } catch (err) {
          failedWith(t, err, events.length);
        }
      }
    }),
  );
  t.endedAt = now();
  t.closed = true;
  return t;
}
