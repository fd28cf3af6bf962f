import { cpuFigure, cpuPerDelivery, type CpuTimes, cpuTimes } from '../support/cpu.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { createWebhook } from '../support/fixtures.ts';
import { latencyFigures, measureLatency } from '../support/latency.ts';
import { withStack } from '../support/stack.ts';
import { round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

export const latencyPhase: Phase = {
  name: 'latency',
  title: 'latency at 500 events/s',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.latency;
    // No warm-up beyond the first delivery: the cold start is what a deploy sees, and it warms the
    // stack for the lead-in and the measured run as the warm-up would.
    const run = await withStack(stackOptions('latency', { warmUpEvents: 0 }), async (stack) => {
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
        coldStartMs: s.coldStartMs,
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
    const cold = run.coldStart;
    const coldStart = figure(
      'latency.coldStart.receiveP99Ms',
      `${s.rate}/s on a stack just started, first ${s.coldStartMs / 1000} s: publish → receive p99`,
      'ms',
      cold ? round(cold.receive.p99) : Number.NaN,
      TARGETS.coldStartReceiveP99Ms,
      cold ? `p50 ${round(cold.receive.p50)} ms; publishEvent p99 ${round(cold.publish.p99)} ms` : undefined,
    );
    return { figures: [coldStart, ...latencyFigures('latency', `${s.rate}/s: `, run), cpu], details: { ...run } };
  },
};
