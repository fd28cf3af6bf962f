import type { ChildProcess } from 'node:child_process';
import { forkChild, ipcRequest, stopChild } from '../support/children.ts';
import { now, pollUntil, sleep } from '../support/clock.ts';
import { figure, TARGETS } from '../support/figures.ts';
import { createWebhook, eventData } from '../support/fixtures.ts';
import { openLoop, publishEvent } from '../support/publish.ts';
import { withPhaseStack } from '../support/sharedStack.ts';
import type { Stack } from '../support/stack.ts';
import { round, summarize, type Summary } from '../support/stats.ts';
import type { Phase, PhaseContext } from './phase.ts';

interface Status {
  connected: number;
  withMessages: number;
  errors: string[];
}
interface StreamReport {
  latency: Summary;
  /** Per attempt, publish → its first subscriber; and its last subscriber's lag behind the first. */
  firstSubscriber: Summary;
  lastAfterFirst: Summary;
  received: number;
  missing: number;
  firstArrival: number;
  lastArrival: number;
  errors: string[];
}

const TYPE = 'bench.streams';

/** Publishes until every subscriber has had a message: only then are all subscriptions known to be live. */
async function proveLive(stack: Stack, clients: ChildProcess, count: number, progress: PhaseContext['progress']): Promise<void> {
  const status = () => ipcRequest<Status>(clients, { cmd: 'status' });
  if (!(await pollUntil(async () => (await status()).connected === count, 60_000, 200))) {
    throw new Error(`only ${(await status()).connected} of ${count} WebSocket clients connected: ${(await status()).errors.join('; ')}`);
  }
  let seq = 0;
  let last = 0;
  const live = await pollUntil(
    async () => (await status()).withMessages === count,
    120_000,
    250,
    () => {
      if (now() - last < 1000) return;
      last = now();
      void publishEvent(stack.gql, TYPE, eventData('streams-warmup', seq++));
    },
  );
  const s = await status();
  if (!live) throw new Error(`only ${s.withMessages} of ${count} subscribers received a warm-up message in 120 s: ${s.errors.join('; ')}`);
  progress(`all ${count} subscriptions live (${seq} warm-up events)`);
}

export const streamsPhase: Phase = {
  name: 'streams',
  title: 'live streams (graphql-ws)',
  async run({ options, receiver, progress, stackOptions }) {
    const s = options.settings.streams;
    const result = await withPhaseStack(stackOptions('streams'), options.quick, async (stack) => {
      await createWebhook(stack.gql, stack.features, { url: receiver.url(`/streams/${stack.label}`), events: [TYPE] });
      const clients = forkChild('streamClients', [`${stack.apiUrl.replace('http', 'ws')}/graphql`, stack.key, String(s.subscribers)]);
      try {
        await proveLive(stack, clients, s.subscribers, progress);
        const warmTag = `streams-warm-${stack.label}`;
        const warm = await openLoop(stack.gql, {
          type: TYPE,
          tag: warmTag,
          ratePerSecond: s.rate,
          // The stack's warm-up (withStack) sends events with no subscriber, so the first second of
          // the fan-out to 200 sockets would still run cold and decide the p99 alone.
          durationMs: s.warmUpMs,
          settleMs: s.drainMs,
        });
        await receiver.waitForCount(warmTag, warm.published, s.drainMs);
        await sleep(1000);
        receiver.forget(warmTag);
        progress(`streamed ${warm.published} warm-up events`);
        const tag = `streams-${stack.label}`;
        progress(`${s.rate} events/s for ${s.durationMs / 1000} s to ${s.subscribers} subscribers`);
        const tally = await openLoop(stack.gql, { type: TYPE, tag, ratePerSecond: s.rate, durationMs: s.durationMs, settleMs: s.drainMs, progress });
        const drainEnds = tally.endedAt + s.drainMs;
        const offered = tally.published + tally.failed;
        await receiver.waitForCount(tag, offered, Math.max(0, drainEnds - now()));
        await receiver.flush();
        const arrivals = receiver.arrivals(tag);
        const sentAtByDelivery = new Map(arrivals.map((r) => [r.deliveryId, r.sentAt]));
        const endpoint = summarize(arrivals.map((r) => r.arrivedAt - r.sentAt));
        // Every attempt of these deliveries, once committed, is what each subscriber should see.
        const attempts = async () =>
          (
            await stack.db.query<{ id: string; delivery_id: string }>('SELECT id, delivery_id FROM delivery_attempts WHERE delivery_id = ANY($1)', [
              [...sentAtByDelivery.keys()],
            ])
          ).rows;
        await pollUntil(async () => (await attempts()).length >= sentAtByDelivery.size, Math.max(0, drainEnds - now()), 200);
        const expected = await attempts();
        const attemptIds = expected.map((a) => a.id);
        await pollUntil(
          async () => {
            const { seen, of } = await ipcRequest<{ seen: number; of: number }>(clients, { cmd: 'expect', attemptIds });
            return seen >= of;
          },
          Math.max(0, drainEnds - now()),
          250,
        );
        const sentAt = Object.fromEntries(expected.map((a) => [a.id, sentAtByDelivery.get(a.delivery_id)!]));
        const report = await ipcRequest<StreamReport>(clients, { cmd: 'report', sentAt });
        receiver.forget(tag);
        const notDelivered = offered - sentAtByDelivery.size;
        return { report, endpoint, expectedAttempts: expected.length, notDelivered, offered, startedAt: tally.startedAt };
      } finally {
        await stopChild(clients);
      }
    });
    const { report } = result;
    const expectedMessages = result.expectedAttempts * s.subscribers;
    const seconds = (report.lastArrival - result.startedAt) / 1000;
    progress(`${report.received}/${expectedMessages} messages, p50 ${round(report.latency.p50)} ms, p99 ${round(report.latency.p99)} ms`);
    const p50p99 = (s: Summary) => `${round(s.p50)} / ${round(s.p99)} ms`;
    progress(
      `where it goes (p50 / p99): publish → endpoint ${p50p99(result.endpoint)}; publish → first subscriber ${p50p99(report.firstSubscriber)}; last subscriber after first ${p50p99(report.lastAfterFirst)}`,
    );
    return {
      figures: [
        figure('streams.p50Ms', `${s.subscribers} subscribers at ${s.rate} events/s: stream latency p50`, 'ms', round(report.latency.p50)),
        figure('streams.p99Ms', 'stream latency p99 (publish → subscriber)', 'ms', round(report.latency.p99), TARGETS.streamP99Ms),
        figure('streams.missing', 'attempt messages missing', '', report.missing, TARGETS.none, `of ${expectedMessages.toLocaleString('en-US')}`),
        figure(
          'streams.messagesPerSecond',
          'messages received per second',
          '/s',
          Number.isFinite(seconds) ? Math.round(report.received / seconds) : Number.NaN,
        ),
        figure('streams.notDelivered', 'events not delivered to the endpoint in time', '', result.notDelivered, TARGETS.none, `of ${result.offered}`),
      ],
      details: result,
    };
  },
};
