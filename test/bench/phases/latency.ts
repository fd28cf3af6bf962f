import { cpuPerDelivery, cpuTimes } from '../support/cpu.ts';
import { figure } from '../support/figures.ts';
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
      const before = await cpuTimes(stack, receiver.pid);
      const benchBefore = process.cpuUsage();
      const latency = await measureLatency(stack, receiver, progress, { tag: `latency-${stack.label}`, type: 'bench.latency', path, rate: s.rate, durationMs: s.durationMs, drainMs: s.drainMs });
      const bench = process.cpuUsage(benchBefore);
      const cpu = cpuPerDelivery(before, await cpuTimes(stack, receiver.pid), latency.received);
      return { ...latency, cpuMsPerDelivery: { ...cpu, loadGenerator: Number(((bench.user + bench.system) / 1000 / Math.max(1, latency.received)).toFixed(3)) } };
    });
    // Where a delivery's CPU goes at this rate: with every part on the same two cores, queueing for
    // them is most of the latency, so this is what to cut.
    const c = run.cpuMsPerDelivery;
    const total = Number((c.api + c.worker + c.postgres + c.redis + c.receiver).toFixed(3));
    const cpu = figure('latency.cpuMs', `${s.rate}/s: CPU time per delivery`, 'ms', total, undefined, `API ${c.api}, worker ${c.worker}, Postgres ${c.postgres}, Redis ${c.redis}, receiver ${c.receiver}; load generator ${c.loadGenerator}`);
    return { figures: [...latencyFigures('latency', `${s.rate}/s: `, run), cpu], details: { ...run } };
  },
};
