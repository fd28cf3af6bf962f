import { measureBesideCeiling } from '../support/deliveryRate.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { duplicatesFigure } from '../support/lateDuplicates.ts';
import { round } from '../support/stats.ts';
import type { Phase, PhaseContext } from './phase.ts';

function runWith({ options, stackOptions }: PhaseContext, workers: number) {
  const s = options.settings;
  return measureBesideCeiling(stackOptions(`scaleout-${workers}w`, { workers }), s.raw.durationMs, {
    mode: 'bulk',
    events: s.scaleout.events,
    clients: s.throughput.bulkClients,
    batchSize: s.throughput.batchSize,
    capMs: s.scaleout.capMs,
  });
}

export const scaleoutPhase: Phase = {
  name: 'scaleout',
  title: 'scale-out: two workers',
  async run(ctx) {
    const oneRun = await runWith(ctx, 1);
    const twoRun = await runWith(ctx, 2);
    const [one, two] = [oneRun.measured, twoRun.measured];
    // The issue asks for the plain ratio. The ratio of each run's share of the raw ceiling measured
    // beside it is shown too: it tells whether the machine's load changed between the two runs.
    const plain = round(two.run.deliveriesPerSecond / one.run.deliveriesPerSecond, 2);
    const ofCeiling = round(two.share / one.share, 2);
    return {
      figures: [
        figure('scaleout.oneWorkerPerSecond', 'deliveries/s with one worker process', '/s', one.run.deliveriesPerSecond, undefined, `${one.share}% of raw`),
        figure('scaleout.twoWorkersPerSecond', 'deliveries/s with two worker processes', '/s', two.run.deliveriesPerSecond, undefined, `${two.share}% of raw`),
        figure('scaleout.ratio', 'two workers / one', '×', plain, TARGETS.scaleOutRatio, `${ofCeiling}× as shares of the raw ceiling`),
      ],
      details: { one, two, ratioOfCeilingShares: ofCeiling },
      later: Promise.all([oneRun.duplicatesLater, twoRun.duplicatesLater]).then((counts) => ({
        figures: [duplicatesFigure('scaleout.duplicates', 'deliveries received twice (both runs)', counts)],
        details: { duplicates: counts },
      })),
    };
  },
};
