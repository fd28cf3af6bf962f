import { figure, TARGETS } from '../support/figures.ts';
import { measureBesideCeiling } from '../support/deliveryRate.ts';
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
    const one = await runWith(ctx, 1);
    const two = await runWith(ctx, 2);
    const plain = round(two.run.deliveriesPerSecond / one.run.deliveriesPerSecond, 2);
    // Each run's share of its own raw ceiling, so that a busier machine during one run does not decide.
    const normalized = round(two.share / one.share, 2);
    return {
      figures: [
        figure('scaleout.oneWorkerPerSecond', 'deliveries/s with one worker process', '/s', one.run.deliveriesPerSecond, undefined, `${one.share}% of raw`),
        figure('scaleout.twoWorkersPerSecond', 'deliveries/s with two worker processes', '/s', two.run.deliveriesPerSecond, undefined, `${two.share}% of raw`),
        figure('scaleout.ratio', 'two workers / one (shares of the raw ceiling)', '×', normalized, TARGETS.scaleOutRatio, `plain ratio ${plain}×`),
        figure('scaleout.duplicates', 'deliveries received twice (both runs)', '', one.run.duplicates + two.run.duplicates, TARGETS.none),
      ],
      details: { one, two, plainRatio: plain },
    };
  },
};
