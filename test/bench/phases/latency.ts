import { createWebhook } from '../support/fixtures.ts';
import { latencyFigures, measureLatency } from '../support/latency.ts';
import { withStack } from '../support/stack.ts';
import type { Phase } from './phase.ts';

export const latencyPhase: Phase = {
  name: 'latency',
  title: 'latency at 500 events/s',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.latency;
    const run = await withStack(stackOptions('latency'), async (stack) => {
      const path = `/latency/${stack.label}`;
      await createWebhook(stack.gql, stack.features, { url: receiver.url(path), events: ['bench.latency'] });
      return measureLatency(stack, receiver, progress, { tag: `latency-${stack.label}`, type: 'bench.latency', path, rate: s.rate, durationMs: s.durationMs, drainMs: s.drainMs });
    });
    return { figures: latencyFigures('latency', `${s.rate}/s: `, run), details: { ...run } };
  },
};
