import { now, sleep } from '../support/clock.ts';
import { type CpuTimes, cpuTimes } from '../support/cpu.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { createWebhook } from '../support/fixtures.ts';
import { measureLatency } from '../support/latency.ts';
import type { RssSample } from '../support/rss.ts';
import { withStack } from '../support/stack.ts';
import { round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

type Series = (s: RssSample) => number;
const api: Series = (s) => s.api;
const worker: Series = (s) => Math.max(...s.workers);
/** Each part's share of a core in %, null where it cannot be known. */
type Shares = Record<keyof CpuTimes, number | null>;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Growth of the last window's average RSS over the first window's, in %. */
function growth(samples: RssSample[], series: Series, windowMs: number): number {
  if (samples.length < 2) return Number.NaN;
  const first = samples.filter((s) => s.at <= samples[0].at + windowMs).map(series);
  const last = samples.filter((s) => s.at >= samples[samples.length - 1].at - windowMs).map(series);
  return round(100 * (mean(last) / mean(first) - 1));
}

export const memoryPhase: Phase = {
  name: 'memory',
  title: 'memory over a soak',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.memory;
    return withStack(stackOptions('memory'), async (stack) => {
      const path = `/memory/${stack.label}`;
      await createWebhook(stack.gql, stack.features, { url: receiver.url(path), events: ['bench.memory'] });
      await sleep(s.idleMs);
      const idle = stack.rss.samples[stack.rss.samples.length - 1];
      progress(`idle after start: API ${Math.round(idle.api)} MB, worker ${Math.round(worker(idle))} MB`);
      // Every 30 s: RSS, the deliveries not yet settled (a backlog shows as a count that keeps
      // rising) and each part's share of a core since the last look, so that a soak that falls
      // behind says where.
      const checks: { t: number; open: number; cpuPercent: Shares }[] = [];
      const startedAt = now();
      let last = { at: startedAt, cpu: await cpuTimes(stack, receiver.pid) };
      const check = async () => {
        const rss = stack.rss.samples[stack.rss.samples.length - 1];
        const cpu = await cpuTimes(stack, receiver.pid);
        const at = now();
        const seconds = (at - last.at) / 1000;
        // A Postgres backend that exits takes its CPU time with it, so a share can come out negative: unknown.
        const cpuPercent = {} as Shares;
        for (const k of Object.keys(cpu) as (keyof CpuTimes)[]) {
          const share = Math.round((100 * (cpu[k] - last.cpu[k])) / seconds);
          cpuPercent[k] = share >= 0 ? share : null;
        }
        last = { at, cpu };
        const { rows } = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status IN ('PENDING', 'RETRYING')`);
        checks.push({ t: round((at - startedAt) / 1000), open: rows[0].n, cpuPercent });
        const shares = Object.entries(cpuPercent)
          .map(([k, v]) => `${k} ${v ?? 'unknown'}`)
          .join(', ');
        progress(`RSS now: API ${Math.round(rss.api)} MB, worker ${Math.round(worker(rss))} MB; open deliveries ${rows[0].n}; CPU % of a core: ${shares}`);
      };
      const checking = setInterval(() => void check().catch((err) => progress(`soak check failed: ${err}`)), 30_000);
      const soak = await measureLatency(stack, receiver, progress, {
        tag: `memory-${stack.label}`,
        type: 'bench.memory',
        path,
        rate: s.rate,
        durationMs: s.durationMs,
        drainMs: 10_000,
      }).finally(() => clearInterval(checking));
      const during = stack.rss.samples.filter((x) => x.at >= soak.startedAt && x.at <= soak.endedAt);
      const peak = (series: Series) => round(Math.max(...during.map(series)));
      const minutes = `${Math.round((s.durationMs / 60_000) * 10) / 10} min soak at ${s.rate}/s`;
      const windows = `last vs first ${s.windowMs / 1000} s`;
      return {
        figures: [
          figure('memory.idleApiMB', 'API RSS idle after start', 'MB', round(idle.api)),
          figure('memory.idleWorkerMB', 'worker RSS idle after start', 'MB', round(worker(idle))),
          figure('memory.apiPeakMB', `API RSS peak, ${minutes}`, 'MB', peak(api), TARGETS.rssMB),
          figure('memory.workerPeakMB', `worker RSS peak, ${minutes}`, 'MB', peak(worker), TARGETS.rssMB),
          figure('memory.apiGrowthPercent', 'API RSS growth over the soak', '%', growth(during, api, s.windowMs), TARGETS.rssGrowthPercent, windows),
          figure('memory.workerGrowthPercent', 'worker RSS growth over the soak', '%', growth(during, worker, s.windowMs), TARGETS.rssGrowthPercent, windows),
          figure('memory.soakReceiveP99Ms', 'publish → receive p99 during the soak', 'ms', round(soak.receive.p99)),
        ],
        details: {
          idle,
          soak,
          checks,
          rss: during.map((x) => ({ t: round((x.at - soak.startedAt) / 1000), api: round(x.api), workers: x.workers.map((w) => round(w)) })),
        },
      };
    });
  },
};
