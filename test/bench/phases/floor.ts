import { FLOOR_SHAPE, floorCpuMs, measureDurableFloor } from '../support/durableFloor.ts';
import { figure } from '../support/figures.ts';
import { measureRawCeiling } from '../support/rawCeiling.ts';
import { round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

export const floorPhase: Phase = {
  name: 'floor',
  title: 'durable floor',
  async run({ options, receiver, progress }) {
    const { deliveries } = options.settings.floor;
    const raw = await measureRawCeiling(receiver, options.settings.raw.durationMs);
    progress(`raw ceiling beside it: ${raw.perSecond}/s`);
    progress(
      `a plain script, ${FLOOR_SHAPE.lanes} lanes, batches of ${FLOOR_SHAPE.batchSize}, ${FLOOR_SHAPE.connections} connections: ${deliveries} deliveries after a warm-up`,
    );
    const floor = await measureDurableFloor(receiver, deliveries);
    const c = floor.cpuMsPerDelivery;
    progress(`${floor.perSecond} deliveries/s; insert p50 ${round(floor.insertMs.p50)} ms, record p50 ${round(floor.recordMs.p50)} ms`);
    return {
      figures: [
        figure(
          'floor.deliveriesPerSecond',
          'durable floor: deliveries/s (plain script, durable commits)',
          '/s',
          floor.perSecond,
          undefined,
          `${round(floor.perSecond / raw.perSecond, 2)} of the raw ceiling beside it, ${raw.perSecond.toLocaleString('en-US')}/s; fsync ${floor.server.fsync}`,
        ),
        figure(
          'floor.cpuMsPerDelivery',
          'durable floor: CPU time per delivery',
          'ms',
          floorCpuMs(floor),
          undefined,
          `script ${c.loop}, Postgres ${c.postgres}, receiver ${c.receiver}`,
        ),
        figure(
          'floor.statementMs',
          `durable floor: its two statements a batch of ${FLOOR_SHAPE.batchSize}, p50`,
          'ms',
          round(floor.insertMs.p50 + floor.recordMs.p50, 2),
          undefined,
          `insert ${round(floor.insertMs.p50, 2)}, record ${round(floor.recordMs.p50, 2)}; p99 ${round(floor.insertMs.p99, 2)} and ${round(floor.recordMs.p99, 2)}`,
        ),
      ],
      details: { floor, raw, shape: FLOOR_SHAPE },
    };
  },
};
