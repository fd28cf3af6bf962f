import { cpus } from 'node:os';
import { forkChild, ipcRequest, stopChild } from './children.ts';
import { cpuSeconds } from './cpu.ts';
import type { Receiver } from './receiver.ts';
import { type Summary, summarize } from './stats.ts';
import { WORKER_CONCURRENCY } from './stack.ts';

export interface RawCeiling {
  perSecond: number;
  answered: number;
  failed: number;
  seconds: number;
  /** Loop → receiver, stamped by two processes: a sane figure checks their clocks agree. */
  transitMs: Summary;
  /** CPU milliseconds per answered request of the loop and of the receiver (from /proc, whole run). */
  cpuMsPerRequest: { loop: number; receiver: number };
  /**
   * CPU milliseconds a whole stack may spend per delivery to deliver half this rate on this
   * machine's cores (the throughput target): all cores' time over half the rate.
   */
  budgetMsAtHalf: number;
}

/** A plain undici loop, in its own process, signing and POSTing worker-shaped bodies to the receiver. */
let runs = 0;

export async function measureRawCeiling(receiver: Receiver, durationMs: number): Promise<RawCeiling> {
  const tag = `raw-${++runs}`;
  const child = forkChild('rawCeiling');
  try {
    const before = { loop: await cpuSeconds(child.pid!), receiver: await cpuSeconds(receiver.pid) };
    const result = await ipcRequest<Omit<RawCeiling, 'transitMs' | 'cpuMsPerRequest' | 'budgetMsAtHalf'>>(
      child,
      { cmd: 'run', url: receiver.url('/raw/0'), tag, concurrency: WORKER_CONCURRENCY, durationMs },
      durationMs + 60_000,
    );
    const after = { loop: await cpuSeconds(child.pid!), receiver: await cpuSeconds(receiver.pid) };
    await receiver.flush();
    // Counted over every request that arrived, warm-up included, as the CPU was.
    const requests = Math.max(1, receiver.arrivals(tag).length);
    const per = (k: 'loop' | 'receiver') => Number(((1000 * (after[k] - before[k])) / requests).toFixed(3));
    const transitMs = summarize(receiver.arrivals(tag).map((r) => r.arrivedAt - r.sentAt));
    receiver.forget(tag);
    const budgetMsAtHalf = Number(((1000 * cpus().length) / (result.perSecond / 2)).toFixed(3));
    return { ...result, perSecond: Math.round(result.perSecond), transitMs, cpuMsPerRequest: { loop: per('loop'), receiver: per('receiver') }, budgetMsAtHalf };
  } finally {
    await stopChild(child);
  }
}
