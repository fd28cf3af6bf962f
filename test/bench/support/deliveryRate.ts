import { now, pollUntil } from './clock.ts';
import { cpuPerDelivery, type CpuTimes, cpuTimes } from './cpu.ts';
import { type DurableFloor, measureDurableFloor } from './durableFloor.ts';
import { createWebhook } from './fixtures.ts';
import { countDuplicatesLater, type LateDuplicates } from './lateDuplicates.ts';
import type { Progress } from './log.ts';
import { bulkPublish, closedLoop, type PublishTally } from './publish.ts';
import { measureRawCeiling, type RawCeiling } from './rawCeiling.ts';
import type { Receiver } from './receiver.ts';
import { type Stack, type StackOptions, startStack, WORKER_CONCURRENCY } from './stack.ts';

export interface RateOptions {
  /** `bulk`: publishEvents batches; `single`: concurrent publishEvent clients. */
  mode: 'bulk' | 'single';
  events: number;
  clients: number;
  batchSize: number;
  /** Measuring stops here even if not everything was delivered yet. */
  capMs: number;
}

export interface RateRun {
  deliveriesPerSecond: number;
  /** Deliveries received and with their successful attempt committed in Postgres. */
  delivered: number;
  events: number;
  seconds: number;
  complete: boolean;
  received: number;
  /** The receiver's tag for this run's events. */
  tag: string;
  /** CPU milliseconds each part of the stack spent per delivery over the run. */
  cpuMsPerDelivery: CpuTimes;
  publish: Omit<PublishTally, 'publishMs'> & { publishPerSecond: number };
}

async function succeededAttempts(stack: Stack): Promise<number> {
  const { rows } = await stack.db.query<{ n: string }>('SELECT count(*) AS n FROM delivery_attempts WHERE succeeded');
  return Number(rows[0].n);
}

/**
 * End-to-end deliveries per second to one endpoint: from the first publish until every delivery is
 * both received and committed as a succeeded attempt (or until the cap, over which it is averaged).
 */
export async function measureDeliveryRate(stack: Stack, receiver: Receiver, progress: Progress, o: RateOptions): Promise<RateRun> {
  const tag = `rate-${stack.label}-${o.mode}`;
  await createWebhook(stack.gql, stack.features, {
    url: receiver.url(`/rate/${stack.label}/${o.mode}`),
    events: ['bench.rate'],
    maxConcurrency: WORKER_CONCURRENCY,
  });
  const baseline = await succeededAttempts(stack);
  const cpuBefore = await cpuTimes(stack, receiver.pid);
  const startedAt = now();
  const deadline = startedAt + o.capMs;
  const publishing =
    o.mode === 'bulk'
      ? bulkPublish(stack.gql, stack.features, { type: 'bench.rate', tag, total: o.events, clients: o.clients, batchSize: o.batchSize, deadline })
      : closedLoop(stack.gql, { type: 'bench.rate', tag, total: o.events, clients: o.clients, deadline });
  // Received is known here for free; the database is asked only once everything has arrived
  // (and for progress), so that polling it takes next to nothing from the service under test.
  const deliveredNow = async () => Math.min(receiver.count(tag), (await succeededAttempts(stack)) - baseline);
  let lastReport = startedAt;
  const complete = await pollUntil(
    async () => receiver.count(tag) >= o.events && (await deliveredNow()) >= o.events,
    o.capMs,
    20,
    () => {
      if (now() - lastReport < 5000) return;
      lastReport = now();
      void deliveredNow().then((n) => progress(`${o.mode}: ${receiver.count(tag)}/${o.events} received, ${n} of them committed`));
    },
  );
  const seconds = (now() - startedAt) / 1000;
  const cpuAfter = await cpuTimes(stack, receiver.pid);
  const delivered = await deliveredNow();
  const { publishMs: _, ...tally } = await publishing;
  await receiver.flush();
  const run: RateRun = {
    deliveriesPerSecond: Math.round(delivered / seconds),
    delivered,
    events: o.events,
    seconds: Number(seconds.toFixed(2)),
    complete,
    received: receiver.count(tag),
    tag,
    cpuMsPerDelivery: cpuPerDelivery(cpuBefore, cpuAfter, delivered),
    publish: { ...tally, publishPerSecond: Math.round(tally.published / ((tally.endedAt - tally.startedAt) / 1000)) },
  };
  progress(
    `${o.mode}: ${run.deliveriesPerSecond} deliveries/s (${delivered}/${o.events} in ${run.seconds} s${complete ? '' : ', cap reached'}); ` +
      `published ${tally.published} via ${tally.via} at ${run.publish.publishPerSecond}/s${tally.failed ? `, ${tally.failed} failed: ${tally.firstError}` : ''}`,
  );
  return run;
}

export interface RateBesideCeiling {
  run: RateRun;
  raw: RawCeiling;
  /** The run's deliveries/s as a share of the ceiling measured beside it, in %. */
  share: number;
  /** Measured beside the run too when asked for, and the run's deliveries/s over it. */
  floor?: DurableFloor;
  floorShare?: number;
}

/**
 * The machine is shared, so its capacity drifts: on a fresh stack (up and idle) the raw ceiling, and
 * the durable floor when `floorDeliveries` is given, are measured right before the run, and the run
 * is judged against them. The run's duplicates are counted a lease length later, while the caller
 * goes on (see lateDuplicates.ts); the stack goes down after that.
 */
export async function measureBesideCeiling(
  stackOptions: StackOptions,
  rawMs: number,
  o: RateOptions,
  floorDeliveries?: number,
): Promise<{ measured: RateBesideCeiling; duplicatesLater: Promise<LateDuplicates> }> {
  const { receiver, progress } = stackOptions;
  const stack = await startStack(stackOptions);
  let measured: RateBesideCeiling;
  try {
    const raw = await measureRawCeiling(receiver, rawMs);
    progress(`raw ceiling beside it: ${raw.perSecond}/s`);
    const floor = floorDeliveries ? await measureDurableFloor(receiver, floorDeliveries) : undefined;
    if (floor) progress(`durable floor beside it: ${floor.perSecond}/s`);
    const run = await measureDeliveryRate(stack, receiver, progress, o);
    const share = Number(((100 * run.deliveriesPerSecond) / raw.perSecond).toFixed(1));
    const floorShare = floor ? Number((run.deliveriesPerSecond / floor.perSecond).toFixed(2)) : undefined;
    measured = { run, raw, share, floor, floorShare };
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return { measured, duplicatesLater: countDuplicatesLater(stack, receiver, measured.run.tag) };
}
