import { figure, TARGETS } from '../support/figures.ts';
import { measureDeliveryRate } from '../support/deliveryRate.ts';
import { withStack } from '../support/stack.ts';
import { round } from '../support/stats.ts';
import type { Phase, PhaseContext } from './phase.ts';

function runWith(ctx: PhaseContext, workers: number) {
  const s = ctx.options.settings;
  return withStack(ctx.stackOptions(`scaleout-${workers}w`, workers), (stack) =>
    measureDeliveryRate(stack, ctx.receiver, ctx.progress, {
      mode: 'bulk',
      events: s.scaleout.events,
      clients: s.throughput.bulkClients,
      batchSize: s.throughput.batchSize,
      capMs: s.scaleout.capMs,
    }),
  );
}

export const scaleoutPhase: Phase = {
  name: 'scaleout',
  title: 'scale-out: two workers',
  async run(ctx) {
    const one = await runWith(ctx, 1);
    const two = await runWith(ctx, 2);
    return {
      figures: [
        figure('scaleout.oneWorkerPerSecond', 'deliveries/s with one worker process', '/s', one.deliveriesPerSecond),
        figure('scaleout.twoWorkersPerSecond', 'deliveries/s with two worker processes', '/s', two.deliveriesPerSecond),
        figure('scaleout.ratio', 'two workers / one', '×', round(two.deliveriesPerSecond / one.deliveriesPerSecond, 2), TARGETS.scaleOutRatio),
        figure('scaleout.duplicates', 'deliveries received twice (both runs)', '', two.duplicates + one.duplicates, TARGETS.none),
      ],
      details: { one, two },
    };
  },
};
