import { figure, TARGETS } from '../support/figures.ts';
import { measureDeliveryRate, type RateRun } from '../support/deliveryRate.ts';
import { round } from '../support/stats.ts';
import { withStack } from '../support/stack.ts';
import type { Phase } from './phase.ts';
import { RAW_CEILING } from './raw.ts';

function progressNote(run: RateRun): string | undefined {
  return run.complete ? undefined : `${run.delivered.toLocaleString('en-US')} of ${run.events.toLocaleString('en-US')} in the ${run.seconds} s cap`;
}

export const throughputPhase: Phase = {
  name: 'throughput',
  title: 'throughput',
  async run(ctx) {
    const s = ctx.options.settings.throughput;
    const raw = ctx.earlier.get(RAW_CEILING)?.value ?? Number.NaN;
    const bulk = await withStack(ctx.stackOptions('throughput-bulk'), (stack) =>
      measureDeliveryRate(stack, ctx.receiver, ctx.progress, { mode: 'bulk', events: s.bulkEvents, clients: s.bulkClients, batchSize: s.batchSize, capMs: s.capMs }),
    );
    const single = await withStack(ctx.stackOptions('throughput-single'), (stack) =>
      measureDeliveryRate(stack, ctx.receiver, ctx.progress, { mode: 'single', events: s.singleEvents, clients: s.singleClients, batchSize: 1, capMs: s.capMs }),
    );
    const share = (run: RateRun) => round((100 * run.deliveriesPerSecond) / raw);
    return {
      figures: [
        figure('throughput.bulk.perSecond', `deliveries/s, bulk publishes (${bulk.publish.via})`, '/s', bulk.deliveriesPerSecond, undefined, progressNote(bulk)),
        figure('throughput.bulk.share', 'bulk: share of the raw ceiling', '%', share(bulk), TARGETS.throughputShare),
        figure('throughput.single.perSecond', `deliveries/s, ${s.singleClients} single-publish clients`, '/s', single.deliveriesPerSecond, undefined, progressNote(single)),
        figure('throughput.single.share', 'single publishes: share of the raw ceiling', '%', share(single), TARGETS.throughputShare),
        figure('throughput.duplicates', 'deliveries received twice', '', bulk.duplicates + single.duplicates, TARGETS.none),
      ],
      details: { rawCeilingPerSecond: raw, bulk, single },
    };
  },
};
