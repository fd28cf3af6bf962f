import { now, pollUntil } from './clock.ts';
import { figure, TARGETS, type Figure } from './figures.ts';
import type { Progress } from './log.ts';
import { openLoop, type PublishTally } from './publish.ts';
import type { ArrivalRecord, Receiver } from './receiver.ts';
import type { Stack } from './stack.ts';
import { round, type Summary, summarize } from './stats.ts';

export interface LatencyOptions {
  tag: string;
  type: string;
  /** The endpoint whose arrivals are timed (several may be subscribed to the same events). */
  path: string;
  rate: number;
  durationMs: number;
  /** How long to wait after the last publish for answers and arrivals; later ones count as never. */
  drainMs: number;
  /**
   * Offered at the same rate right before the measured run, which follows with no pause: the
   * measured seconds are the steady state of that rate, and the lead-in's own figures are kept.
   */
  leadInMs?: number;
  /**
   * Offered first of all, at the same rate, on a stack not warmed up: the first seconds after a
   * deploy, with figures of their own. The lead-in follows once its deliveries have arrived.
   */
  coldStartMs?: number;
  /** Called as the measured run starts (after any lead-in), e.g. to read CPU times. */
  onMeasuredStart?: () => Promise<void>;
}

export interface LatencyRun {
  /** From before the publish request to arrival at the endpoint, ms. */
  receive: Summary;
  /** publishEvent round trip, ms. */
  publish: Summary;
  /** Events offered; each one should arrive, so one that does not (or whose publish failed) is missing. */
  offered: number;
  /** Publishes answered without an error. */
  published: number;
  received: number;
  publishFailures: number;
  firstError?: string;
  /** When the schedule started and ended (now()-based). */
  startedAt: number;
  endedAt: number;
  /** Per second of publishing: events sent then, their receive p50 and max, ms (finds stalls). */
  timeline: { second: number; count: number; p50: number; max: number }[];
  /** The cold start's and the lead-in's own latencies and timelines, when there were any. */
  coldStart?: Stretch;
  leadIn?: Stretch;
}

/** Latencies of a stretch offered before the measured run. */
export interface Stretch {
  receive: Summary;
  publish: Summary;
  timeline: LatencyRun['timeline'];
}

/** Receive latencies bucketed by the second of the run they were sent in. */
function timelineOf(received: ArrivalRecord[], startedAt: number): LatencyRun['timeline'] {
  const buckets = new Map<number, number[]>();
  for (const r of received) {
    const second = Math.floor((r.sentAt - startedAt) / 1000);
    const values = buckets.get(second) ?? [];
    values.push(r.arrivedAt - r.sentAt);
    buckets.set(second, values);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, values]) => {
      const s = summarize(values);
      return { second, count: s.count, p50: round(s.p50), max: round(s.max) };
    });
}

/** First arrival of each event at `path`, scanning only what arrived since the last call. */
function firstArrivals(receiver: Receiver, tag: string, path: string) {
  const seen = new Map<string, ArrivalRecord>();
  let scanned = 0;
  return () => {
    const all = receiver.arrivals(tag);
    for (; scanned < all.length; scanned++) {
      const r = all[scanned];
      if (r.path === path && !seen.has(r.eventId)) seen.set(r.eventId, r);
    }
    return seen;
  };
}

/** Offers `rate` single publishes per second (open loop) and times each event's way to `path`. */
export async function measureLatency(stack: Stack, receiver: Receiver, progress: Progress, o: LatencyOptions): Promise<LatencyRun> {
  // Each stretch's arrivals are read after the measured run, so late ones still count.
  const before: { name: 'coldStart' | 'leadIn'; tag: string; tally: PublishTally; arrivals: ReturnType<typeof firstArrivals> }[] = [];
  for (const [name, ms] of [
    ['coldStart', o.coldStartMs],
    ['leadIn', o.leadInMs],
  ] as const) {
    if (!ms) continue;
    const tag = `${o.tag}-${name}`;
    const arrivals = firstArrivals(receiver, tag, o.path);
    progress(
      `${o.rate} events/s for ${ms / 1000} s as ${name === 'coldStart' ? 'a cold start (judged on its own)' : 'a lead-in'}, then ${name === 'coldStart' && o.leadInMs ? 'a lead-in' : 'the measured run'}`,
    );
    const tally = await openLoop(stack.gql, { type: o.type, tag, ratePerSecond: o.rate, durationMs: ms, settleMs: o.drainMs });
    before.push({ name, tag, arrivals, tally });
    // A cold start's backlog is its own: worked off before the lead-in, it is not carried into the
    // steady state (the lead-in then flows into the measured run with no pause, as before).
    if (name === 'coldStart') await pollUntil(() => arrivals().size >= tally.published, Math.max(0, tally.endedAt + o.drainMs - now()), 50);
  }
  await o.onMeasuredStart?.();
  progress(`${o.rate} events/s for ${o.durationMs / 1000} s (${o.tag})`);
  const arrivals = firstArrivals(receiver, o.tag, o.path);
  const tally = await openLoop(stack.gql, { type: o.type, tag: o.tag, ratePerSecond: o.rate, durationMs: o.durationMs, settleMs: o.drainMs, progress });
  const offered = tally.published + tally.failed;
  await pollUntil(() => arrivals().size >= offered, Math.max(0, tally.endedAt + o.drainMs - now()), 50);
  await receiver.flush();
  const received = [...arrivals().values()];
  const run: LatencyRun = {
    receive: summarize(
      received.map((r) => r.arrivedAt - r.sentAt),
      offered - received.length,
    ),
    publish: summarize(tally.publishMs, tally.failed),
    offered,
    published: tally.published,
    received: received.length,
    publishFailures: tally.failed,
    firstError: tally.firstError,
    startedAt: tally.startedAt,
    endedAt: tally.endedAt,
    timeline: timelineOf(received, tally.startedAt),
  };
  for (const stretch of before) {
    const got = [...stretch.arrivals().values()];
    const t = stretch.tally;
    run[stretch.name] = {
      receive: summarize(
        got.map((r) => r.arrivedAt - r.sentAt),
        t.published + t.failed - got.length,
      ),
      publish: summarize(t.publishMs, t.failed),
      timeline: timelineOf(got, t.startedAt),
    };
    receiver.forget(stretch.tag);
    const r = run[stretch.name]!;
    progress(
      `${stretch.name === 'coldStart' ? 'cold start' : 'lead-in'}: p50 ${round(r.receive.p50)} ms, p99 ${round(r.receive.p99)} ms; per second p50 ${r.timeline.map((x) => x.p50).join(', ')} ms`,
    );
  }
  receiver.forget(o.tag);
  progress(
    `received ${run.received}/${run.offered}: p50 ${round(run.receive.p50)} ms, p99 ${round(run.receive.p99)} ms; ` +
      `publish p50 ${round(run.publish.p50)} ms, p99 ${round(run.publish.p99)} ms${tally.failed ? `; ${tally.failed} publishes failed: ${tally.firstError}` : ''}`,
  );
  return run;
}

/** The issue's latency figures for one run, keys prefixed with `prefix`. */
export function latencyFigures(prefix: string, labelPrefix: string, run: LatencyRun): Figure[] {
  const lost = run.receive.missing ? `${run.receive.missing} of ${run.offered} not received` : undefined;
  return [
    figure(`${prefix}.receiveP50Ms`, `${labelPrefix}publish → receive p50`, 'ms', round(run.receive.p50), TARGETS.receiveP50Ms),
    figure(`${prefix}.receiveP95Ms`, `${labelPrefix}publish → receive p95`, 'ms', round(run.receive.p95)),
    figure(`${prefix}.receiveP99Ms`, `${labelPrefix}publish → receive p99`, 'ms', round(run.receive.p99), TARGETS.receiveP99Ms, lost),
    figure(`${prefix}.publishP50Ms`, `${labelPrefix}publishEvent p50`, 'ms', round(run.publish.p50)),
    figure(
      `${prefix}.publishP99Ms`,
      `${labelPrefix}publishEvent p99`,
      'ms',
      round(run.publish.p99),
      TARGETS.publishP99Ms,
      run.publishFailures ? `${run.publishFailures} of ${run.offered} failed or unanswered` : undefined,
    ),
  ];
}
