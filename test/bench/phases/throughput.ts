import { cpuFigure } from '../support/cpu.ts';
import { measureBesideCeiling, type RateBesideCeiling } from '../support/deliveryRate.ts';
import { floorCpuMs } from '../support/durableFloor.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { duplicatesFigure } from '../support/lateDuplicates.ts';
import type { Phase } from './phase.ts';

function capNote({ run }: RateBesideCeiling): string | undefined {
  return run.complete ? undefined : `${run.delivered.toLocaleString('en-US')} of ${run.events.toLocaleString('en-US')} in the ${run.seconds} s cap`;
}
const floorNote = ({ floor }: RateBesideCeiling) =>
  floor ? `durable floor beside it ${floor.perSecond.toLocaleString('en-US')}/s at ${floorCpuMs(floor)} ms of CPU a delivery` : undefined;
const rawNote = ({ raw }: RateBesideCeiling) =>
  `raw ceiling beside it ${raw.perSecond.toLocaleString('en-US')}/s; at half of it a delivery may cost ${raw.budgetMsAtHalf} ms of CPU, the raw loop and receiver spent ${(raw.cpuMsPerRequest.loop + raw.cpuMsPerRequest.receiver).toFixed(3)} ms a request`;

export const throughputPhase: Phase = {
  name: 'throughput',
  title: 'throughput',
  async run({ options, stackOptions }) {
    const s = options.settings.throughput;
    const rawMs = options.settings.raw.durationMs;
    const floorDeliveries = options.settings.floor.deliveries;
    // Interleaved: each run on its own fresh stack, right after the raw ceiling and the durable floor.
    const bulkRun = await measureBesideCeiling(
      stackOptions('throughput-bulk'),
      rawMs,
      { mode: 'bulk', events: s.bulkEvents, clients: s.bulkClients, batchSize: s.batchSize, capMs: s.capMs },
      floorDeliveries,
    );
    const singleRun = await measureBesideCeiling(
      stackOptions('throughput-single'),
      rawMs,
      { mode: 'single', events: s.singleEvents, clients: s.singleClients, batchSize: 1, capMs: s.capMs },
      floorDeliveries,
    );
    const [bulk, single] = [bulkRun.measured, singleRun.measured];
    const share = (r: RateBesideCeiling) => r.floorShare ?? Number.NaN;
    return {
      figures: [
        figure(
          'throughput.bulk.perSecond',
          `deliveries/s, bulk publishes (${bulk.run.publish.via})`,
          '/s',
          bulk.run.deliveriesPerSecond,
          undefined,
          capNote(bulk),
        ),
        figure('throughput.bulk.share', 'bulk: share of the raw ceiling', '%', bulk.share, TARGETS.throughputShare, rawNote(bulk)),
        figure('throughput.bulk.floorShare', 'bulk: share of the durable floor', '×', share(bulk), TARGETS.bulkFloorShare, floorNote(bulk)),
        figure(
          'throughput.single.perSecond',
          `deliveries/s, ${s.singleClients} single-publish clients`,
          '/s',
          single.run.deliveriesPerSecond,
          undefined,
          capNote(single),
        ),
        figure('throughput.single.share', 'single publishes: share of the raw ceiling', '%', single.share, TARGETS.throughputShare, rawNote(single)),
        figure('throughput.single.floorShare', 'single publishes: share of the durable floor', '×', share(single), TARGETS.singleFloorShare, floorNote(single)),
        // The capacity note's figures.
        cpuFigure('throughput.bulk.cpuMs', 'bulk: CPU time per delivery', bulk.run.cpuMsPerDelivery),
        cpuFigure('throughput.single.cpuMs', 'single publishes: CPU time per delivery', single.run.cpuMsPerDelivery),
      ],
      details: { bulk, single },
      later: Promise.all([bulkRun.duplicatesLater, singleRun.duplicatesLater]).then((counts) => ({
        figures: [duplicatesFigure('throughput.duplicates', 'deliveries received twice', counts)],
        details: { duplicates: counts },
      })),
    };
  },
};
