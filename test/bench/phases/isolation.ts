import { figure, TARGETS } from '../support/figures.ts';
import { createWebhook } from '../support/fixtures.ts';
import { measureLatency } from '../support/latency.ts';
import { withStack } from '../support/stack.ts';
import { round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

// By default a webhook is disabled after 10 failures in a row, which would soon take the hanging
// endpoint out of the way; here it keeps failing (and holding its slots) for the whole measurement.
const KEEP_FAILING_ENDPOINTS = { HOOKPOST_DISABLE_AFTER_FAILURES: '100000' };

export const isolationPhase: Phase = {
  name: 'isolation',
  title: 'isolation from slow endpoints',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.isolation;
    const { alone, beside } = await withStack(stackOptions('isolation', { env: KEEP_FAILING_ENDPOINTS }), async (stack) => {
      const path = `/isolation/${stack.label}/healthy`;
      const type = 'bench.isolation';
      // The same lead-in before both: "beside" then starts with the slow endpoints already holding
      // their slots, and "alone" is no colder than it.
      const measure = (tag: string) =>
        measureLatency(stack, receiver, progress, {
          tag: `${tag}-${stack.label}`,
          type,
          path,
          rate: s.rate,
          durationMs: s.durationMs,
          drainMs: s.drainMs,
          leadInMs: s.leadInMs,
        });
      await createWebhook(stack.gql, stack.features, { url: receiver.url(path), events: [type] });
      const alone = await measure('isolation-alone');
      progress(`subscribing an endpoint that answers after 10 s and one that never answers (times out after ${s.hangTimeoutSeconds} s)`);
      await createWebhook(stack.gql, stack.features, { url: receiver.url(`/slow/${stack.label}`), events: [type] });
      await createWebhook(stack.gql, stack.features, { url: receiver.url(`/hang/${stack.label}`), events: [type], timeoutSeconds: s.hangTimeoutSeconds });
      const beside = await measure('isolation-beside');
      await receiver.releaseHeld();
      return { alone, beside };
    });
    return {
      figures: [
        figure('isolation.aloneP99Ms', `healthy endpoint alone, ${s.rate}/s: p99`, 'ms', round(alone.receive.p99)),
        figure(
          'isolation.besideP99Ms',
          'beside a 10 s and a hanging endpoint: p99',
          'ms',
          round(beside.receive.p99),
          TARGETS.isolationBesideP99Ms,
          beside.receive.missing ? `${beside.receive.missing} of ${beside.offered} not received` : undefined,
        ),
        figure('isolation.ratio', 'healthy p99 beside them / alone', '×', round(beside.receive.p99 / alone.receive.p99, 2), TARGETS.isolationRatio),
      ],
      details: { alone, beside, env: KEEP_FAILING_ENDPOINTS },
    };
  },
};
