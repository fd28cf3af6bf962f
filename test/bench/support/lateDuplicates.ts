import { now, sleep } from './clock.ts';
import { cpuSeconds } from './cpu.ts';
import { type Figure, figure, TARGETS } from './figures.ts';
import type { Receiver } from './receiver.ts';
import { LEASE_MS, type Stack } from './stack.ts';

/** Past the lease, for the receiver's report and a worker's last send in flight. */
const MARGIN_MS = 2000;

export interface LateDuplicates {
  /** Requests that reached the endpoint with a webhook-id it had already received. */
  duplicates: number;
  /** How long after the run completed they were counted. */
  waitedMs: number;
  /** CPU seconds the stack's API and workers spent meanwhile, idle: what it took from whatever ran beside it. */
  idleCpuSeconds: number;
}

const stackCpuSeconds = async (stack: Stack) => (await Promise.all([stack.apiPid, ...stack.workerPids].map(cpuSeconds))).reduce((a, b) => a + b, 0);

/**
 * A delivery sent twice shows up only once a lease ran out and another claim took it, so the
 * count at the instant a run completes would miss it. This keeps the stack up (idle) and listens
 * for a lease length and a margin, then counts, forgets the tag and takes the stack down. It runs
 * in the background, so the caller can go on meanwhile; the promise never rejects before it is
 * awaited unnoticed.
 */
export function countDuplicatesLater(stack: Stack, receiver: Receiver, tag: string): Promise<LateDuplicates> {
  const counting = (async () => {
    const started = now();
    const cpuBefore = await stackCpuSeconds(stack);
    await sleep(LEASE_MS + MARGIN_MS);
    await receiver.flush();
    const duplicates = receiver.duplicates(tag);
    const idleCpuSeconds = Number(((await stackCpuSeconds(stack)) - cpuBefore).toFixed(2));
    return { duplicates, waitedMs: Math.round(now() - started), idleCpuSeconds };
  })().finally(async () => {
    receiver.forget(tag);
    await stack.stop();
  });
  counting.catch(() => {});
  return counting;
}

/** Duplicates of several runs, each counted a lease length after it completed, against "none". */
export function duplicatesFigure(key: string, label: string, counts: LateDuplicates[]): Figure {
  const idle = counts.map((c) => c.idleCpuSeconds).join(' and ');
  return figure(
    key,
    `${label}, counted ${(LEASE_MS + MARGIN_MS) / 1000} s after each run`,
    '',
    counts.reduce((n, c) => n + c.duplicates, 0),
    TARGETS.none,
    `meanwhile the idle stacks spent ${idle} CPU s`,
  );
}
