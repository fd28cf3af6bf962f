import { now, sleep } from '../support/clock.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { createWebhooks } from '../support/fixtures.ts';
import { closedLoop } from '../support/publish.ts';
import { withPhaseStack } from '../support/sharedStack.ts';
import { median, round } from '../support/stats.ts';
import type { Phase } from './phase.ts';

interface Round {
  publishMs: number;
  /** From before the publish request until the last endpoint received the event. */
  allReceivedMs: number;
  received: number;
}

export const fanoutPhase: Phase = {
  name: 'fanout',
  title: 'fan-out',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.fanout;
    const rounds = await withPhaseStack(stackOptions('fanout'), options.quick, async (stack) => {
      const created = now();
      const specs = Array.from({ length: s.endpoints }, (_, i) => ({ url: receiver.url(`/fanout/${stack.label}/${i}`), events: ['bench.fanout'] }));
      await createWebhooks(stack.gql, stack.features, specs);
      progress(`${s.endpoints} webhooks created in ${((now() - created) / 1000).toFixed(1)} s`);
      const results: Round[] = [];
      for (let r = 0; r < s.rounds; r++) {
        const tag = `fanout-${stack.label}-${r}`;
        const tally = await closedLoop(stack.gql, { type: 'bench.fanout', tag, total: 1, clients: 1, deadline: Infinity });
        if (tally.failed) throw new Error(`publishEvent failed: ${tally.firstError}`);
        const complete = await receiver.waitForCount(tag, s.endpoints, s.capMs);
        await receiver.flush();
        const arrivals = receiver.arrivals(tag);
        const last = Math.max(...arrivals.map((a) => a.arrivedAt));
        const round_: Round = {
          publishMs: round(tally.publishMs[0]),
          allReceivedMs: complete ? round(last - arrivals[0].sentAt) : Infinity,
          received: receiver.count(tag),
        };
        results.push(round_);
        receiver.forget(tag);
        progress(`round ${r + 1}: publishEvent ${round_.publishMs} ms; ${round_.received}/${s.endpoints} received, all after ${round_.allReceivedMs} ms`);
        // Let the round's attempts be committed before the next one starts.
        await sleep(1000);
      }
      return results;
    });
    // Every round is held to the target, so the slowest is the figure judged.
    const each = (f: (r: Round) => number) => rounds.map((r) => f(r).toLocaleString('en-US')).join(', ');
    const note = (f: (r: Round) => number, what: string) => (s.rounds > 1 ? `${what} of ${s.rounds} rounds: ${each(f)} ms` : undefined);
    return {
      figures: [
        figure(
          'fanout.allReceivedMs',
          `one event to ${s.endpoints} endpoints: all received, every round`,
          'ms',
          Math.max(...rounds.map((r) => r.allReceivedMs)),
          TARGETS.fanOutMs,
          note((r) => r.allReceivedMs, 'slowest'),
        ),
        figure(
          'fanout.publishMs',
          'its publishEvent round trip',
          'ms',
          median(rounds.map((r) => r.publishMs)),
          undefined,
          note((r) => r.publishMs, 'median'),
        ),
      ],
      details: { rounds },
    };
  },
};
