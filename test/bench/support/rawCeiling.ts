import { forkChild, ipcRequest, stopChild } from './children.ts';
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
}

/** A plain undici loop, in its own process, signing and POSTing worker-shaped bodies to the receiver. */
let runs = 0;

export async function measureRawCeiling(receiver: Receiver, durationMs: number): Promise<RawCeiling> {
  const tag = `raw-${++runs}`;
  const child = forkChild('rawCeiling');
  try {
    const result = await ipcRequest<Omit<RawCeiling, 'transitMs'>>(
      child,
      { cmd: 'run', url: receiver.url('/raw/0'), tag, concurrency: WORKER_CONCURRENCY, durationMs },
      durationMs + 60_000,
    );
    await receiver.flush();
    const transitMs = summarize(receiver.arrivals(tag).map((r) => r.arrivedAt - r.sentAt));
    receiver.forget(tag);
    return { ...result, perSecond: Math.round(result.perSecond), transitMs };
  } finally {
    await stopChild(child);
  }
}
