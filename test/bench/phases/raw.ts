import { figure } from '../support/figures.ts';
import { measureRawCeiling } from '../support/rawCeiling.ts';
import { round } from '../support/stats.ts';
import { WORKER_CONCURRENCY } from '../support/stack.ts';
import type { Phase } from './phase.ts';

export const rawPhase: Phase = {
  name: 'raw',
  title: 'raw ceiling',
  async run({ options, receiver, progress }) {
    const { durationMs } = options.settings.raw;
    progress(`plain undici loop, ${WORKER_CONCURRENCY} concurrent, for ${durationMs / 1000} s`);
    const raw = await measureRawCeiling(receiver, durationMs);
    progress(`${raw.perSecond} requests/s (${raw.failed} failed)`);
    return {
      figures: [
        figure('raw.deliveriesPerSecond', 'raw ceiling: signed POSTs/s', '/s', raw.perSecond, undefined, `${WORKER_CONCURRENCY} concurrent, undici`),
        figure('raw.transitP50Ms', 'raw ceiling: request transit p50 (saturated)', 'ms', round(raw.transitMs.p50, 2)),
        figure(
          'raw.cpuMsPerRequest',
          'raw ceiling: CPU time per request',
          'ms',
          round(raw.cpuMsPerRequest.loop + raw.cpuMsPerRequest.receiver, 3),
          undefined,
          `loop ${raw.cpuMsPerRequest.loop}, receiver ${raw.cpuMsPerRequest.receiver}`,
        ),
        figure(
          'raw.budgetMsAtHalf',
          'CPU a whole stack may spend per delivery at half the ceiling',
          'ms',
          raw.budgetMsAtHalf,
          undefined,
          'all cores over half the raw rate: the throughput target, as CPU',
        ),
      ],
      details: { ...raw, concurrency: WORKER_CONCURRENCY },
    };
  },
};
