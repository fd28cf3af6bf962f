import { figure, TARGETS } from '../support/figures.ts';
import { createWebhooks } from '../support/fixtures.ts';
import { latencyFigures, measureLatency } from '../support/latency.ts';
import { dashboardReads, explain, timeRead } from '../support/readPaths.ts';
import { seedHistory } from '../support/seed.ts';
import { withPhaseStack } from '../support/sharedStack.ts';
import { round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

const SEEDED_WEBHOOKS = 10;

export const sizePhase: Phase = {
  name: 'size',
  title: 'no decay with size',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.size;
    const millions = `${(s.events / 1e6).toLocaleString('en-US')}M events`;
    return withPhaseStack(stackOptions('size'), options.quick, async (stack) => {
      // Webhook 0 takes the live events; every webhook has its share of the seeded history.
      const livePath = `/size/${stack.label}/0`;
      const webhookIds = await createWebhooks(
        stack.gql,
        stack.features,
        Array.from({ length: SEEDED_WEBHOOKS }, (_, i) => ({
          url: receiver.url(`/size/${stack.label}/${i}`),
          events: [i === 0 ? 'bench.size' : 'bench.seeded'],
        })),
      );
      await seedHistory(stack.db, stack.projectId, webhookIds, s.events, progress);
      // Seeding leaves the services idle for minutes, and an idle stack's first seconds at 500/s run
      // as a fresh one's do, which would decide this short run's p95 and p99. A service that has
      // been up with such a database is warm: warm it up again.
      await stack.rewarm();
      // The reads first, on a quiet service, as a dashboard would hit it between bursts.
      // A dead letter some way down its webhook's list (each webhook has about events / 1,000).
      const { rows } = await stack.db.query<{ id: string }>(
        `SELECT id FROM deliveries WHERE webhook_id = $1 AND status = 'FAILED' ORDER BY id DESC LIMIT 1 OFFSET $2`,
        [webhookIds[1], Math.min(50, Math.floor(s.events / 2000))],
      );
      const reads = dashboardReads(stack.projectId, webhookIds[1], rows[0].id);
      const measured = [];
      for (const read of reads) {
        const time = await timeRead(stack, read, s.readRuns);
        const plans = await explain(stack, read);
        progress(`${read.label}: median ${round(time.p50, 2)} ms, p95 ${round(time.p95, 2)} ms`);
        for (const p of plans) progress(`EXPLAIN ${p.sql}\n${p.plan.replace(/^/gm, '      ')}`);
        measured.push({ read, time, plans });
      }
      // Live traffic last: its backlog, if any, must not slow the reads down.
      const latency = await measureLatency(stack, receiver, progress, {
        tag: `size-${stack.label}`,
        type: 'bench.size',
        path: livePath,
        rate: options.settings.latency.rate,
        durationMs: s.latencyDurationMs,
        drainMs: 10_000,
        leadInMs: options.settings.latency.leadInMs,
      });
      return {
        figures: [
          ...latencyFigures('size.latency', `${millions}, ${options.settings.latency.rate}/s: `, latency),
          ...measured.map(({ read, time }) =>
            figure(`size.read.${read.name}Ms`, `${millions}: ${read.label}`, 'ms', round(time.p50, 2), TARGETS.readPathMs, `median of ${time.count}`),
          ),
          figure(
            'size.indexScans',
            `${millions}: every read path's plan uses index scans only`,
            '',
            measured.every((m) => m.plans.every((p) => p.indexed)) ? 1 : 0,
            TARGETS.yes,
            '1 = yes',
          ),
        ],
        details: { latency, reads: measured.map(({ read, time, plans }) => ({ name: read.name, query: read.query, time, plans })) },
      };
    });
  },
};
