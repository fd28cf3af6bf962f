import { forkChild, ipcRequest, stopChild } from '../support/children.ts';
import { figure } from '../support/figures.ts';
import { round, summarize } from '../support/stats.ts';
import { WORKER_CONCURRENCY } from '../support/stack.ts';
import type { Phase } from './phase.ts';

export const RAW_CEILING = 'raw.deliveriesPerSecond';

export const rawPhase: Phase = {
  name: 'raw',
  title: 'raw ceiling',
  async run({ options, receiver, progress }) {
    const { durationMs } = options.settings.raw;
    progress(`plain undici loop, ${WORKER_CONCURRENCY} concurrent, for ${durationMs / 1000} s`);
    const child = forkChild('rawCeiling');
    try {
      const result = await ipcRequest<{ answered: number; failed: number; seconds: number; perSecond: number }>(
        child,
        { cmd: 'run', url: receiver.url('/raw/0'), concurrency: WORKER_CONCURRENCY, durationMs },
        durationMs + 60_000,
      );
      await receiver.flush();
      // The loop and the receiver stamp with their own clocks: a sane transit time checks both.
      const transit = summarize(receiver.arrivals('raw').map((r) => r.arrivedAt - r.sentAt));
      receiver.forget('raw');
      progress(`${Math.round(result.perSecond)} requests/s (${result.failed} failed)`);
      return {
        figures: [
          figure(RAW_CEILING, 'raw ceiling: signed POSTs/s', '/s', Math.round(result.perSecond), undefined, `${WORKER_CONCURRENCY} concurrent, undici`),
          figure('raw.transitP50Ms', 'raw ceiling: request transit p50 (saturated)', 'ms', round(transit.p50, 2)),
        ],
        details: { ...result, concurrency: WORKER_CONCURRENCY, transitMs: transit },
      };
    } finally {
      await stopChild(child);
    }
  },
};
