import { cpuFigure, cpuPerDelivery, type CpuTimes, cpuTimes } from '../support/cpu.ts';
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
      // Read as the measured run starts, after the lead-in.
      let before!: CpuTimes;
      let benchBefore!: NodeJS.CpuUsage;
      const latency = await measureLatency(stack, receiver, progress, {
        tag: `latency-${stack.label}`,
        type: 'bench.latency',
        path,
        rate: s.rate,
        durationMs: s.durationMs,
        drainMs: s.drainMs,
        leadInMs: s.leadInMs,
        onMeasuredStart: async () => {
          before = await cpuTimes(stack, receiver.pid);
          benchBefore = process.cpuUsage();
        },
      });
      const bench = process.cpuUsage(benchBefore);
      const cpu = cpuPerDelivery(before, await cpuTimes(stack, receiver.pid), latency.received);
      const loadGeneratorMs = Number(((bench.user + bench.system) / 1000 / Math.max(1, latency.received)).toFixed(3));
      return { ...latency, cpuMsPerDelivery: cpu, loadGeneratorCpuMs: loadGeneratorMs };
    });
    // Where a delivery's CPU goes at this rate: with every part on the same two cores, queueing for
    // them is most of the latency, so this is what to cut.
    const cpu = cpuFigure('latency.cpuMs', `${s.rate}/s: CPU time per delivery`, run.cpuMsPerDelivery, `load generator ${run.loadGeneratorCpuMs}`);
    return { figures: [...latencyFigures('latency', `${s.rate}/s: `, run), cpu], details: { ...run } };
  },
};
