import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, spawnWorker, startRedisServer, workerEnv } from '../support/processes.ts';
import { withoutRepeats } from '../support/lineReceiver.ts';
import { startTurnCheckedLineReceiver } from '../support/lineTurns.ts';
import { waitUntil } from '../support/wait.ts';

const EVENTS = 300;
const SEQUENTIAL = 100;
const BATCH = 50;
/** The request during which the worker sending it is killed. */
const KILL_AT = 101;

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }
`;

describe('an ordered endpoint under faults', () => {
  it('gets 300 events in publish order, one at a time, while failing every fifth request, from two workers, one killed mid-delivery', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const workers = new Map<string, ChildProcess>();
    let killed: string | undefined;
    const receiver = await startTurnCheckedLineReceiver((_i, nth, req) => {
      if (nth === KILL_AT) {
        // The worker sending this request dies with it in flight; its lease runs out, and the other
        // worker takes the same delivery over.
        killed = req.remoteAddress;
        workers.get(killed)?.kill('SIGKILL');
        return 200;
      }
      return nth % 5 === 0 ? 500 : 200;
    });
    onTestFinished(() => receiver.close());
    const { projectId, key } = await h.createProject('Ordered faults');
    const { createWebhook } = await h.ok(
      CREATE_WEBHOOK.replace('secretHint', 'secretHint ordered'),
      { input: { url: receiver.url, events: ['line.*'], ordered: true, retryPolicy: { schedule: [0.1, 0.1, 0.2, 0.5, 1, 1, 1] } } },
      key,
    );
    expect(createWebhook.webhook.ordered).toBe(true);

    // Each worker sends from its own loopback address, so the receiver knows whom to kill.
    const env = { HOOKPOST_LEASE_MS: '5000', HOOKPOST_POLL_INTERVAL_MS: '1000', HOOKPOST_WORKER_METRICS_PORT: '0' };
    for (const name of ['127.0.0.2', '127.0.0.3']) {
      const child = spawnWorker(workerEnv(h.config, { ...env, HOOKPOST_SOURCE_ADDRESS: name }));
      workers.set(name, child);
      onTestFinished(async () => {
        child.kill('SIGKILL');
        await exited(child);
      });
    }

    // Published while the workers deliver: one at a time first, then in bulk.
    for (let i = 0; i < SEQUENTIAL; i++) await h.ok(PUBLISH_EVENT, { input: { type: 'line.step', data: { i } } }, key);
    for (let i = SEQUENTIAL; i < EVENTS; i += BATCH) {
      const events = Array.from({ length: BATCH }, (_, j) => ({ type: 'line.step', data: { i: i + j } }));
      expect((await h.ok(PUBLISH_MANY, { e: events }, key)).publishEvents.deliveryCount).toBe(BATCH);
    }

    const all = Array.from({ length: EVENTS }, (_, i) => i);
    await waitUntil(
      () => withoutRepeats(receiver.receipts).length >= EVENTS,
      150_000,
      () => `all ${EVENTS} receipts; have ${withoutRepeats(receiver.receipts).length}`,
    );
    expect(killed).toBeDefined();
    expect(await exited(workers.get(killed!)!)).toBeNull();
    // Exactly publish order; a repeat only right after itself (the delivery taken over after the kill).
    expect(withoutRepeats(receiver.receipts)).toEqual(all);
    expect(receiver.maxOpen()).toBe(1);
    // No event ever arrived, first time or retried, before every earlier one had succeeded.
    expect(receiver.outOfTurn).toEqual([]);

    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { projectId, status: 'SUCCEEDED' } })) === EVENTS, 30_000, 'every delivery SUCCEEDED');
    expect(await h.deps.db.delivery.count({ where: { projectId } })).toBe(EVENTS);
    // The surviving worker finished the line.
    const survivor = [...workers.keys()].find((name) => name !== killed);
    expect(receiver.requests.slice(KILL_AT).every((r) => r.remoteAddress === survivor)).toBe(true);
  }, 180_000);

  it('keeps its order when Redis loses every job (FLUSHALL) while the line is retrying', async () => {
    const redis = await startRedisServer();
    onTestFinished(() => redis.stop());
    const h = await startHarness({ REDIS_URL: redis.url, HOOKPOST_POLL_INTERVAL_MS: '500' });
    onTestFinished(() => h.close());
    const receiver = await startTurnCheckedLineReceiver((_i, nth) => (nth % 5 === 0 ? 500 : 200));
    onTestFinished(() => receiver.close());
    const { key } = await h.createProject('Ordered flush');
    await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['line.*'], ordered: true, retryPolicy: { schedule: [0.3, 0.3, 0.3, 0.3] } } }, key);
    const events = Array.from({ length: 100 }, (_, i) => ({ type: 'line.step', data: { i } }));
    await h.ok(PUBLISH_MANY, { e: events }, key);
    h.startWorker();
    // Flushed while a failed head waits for its retry: its job is gone, the reconciler gives it back.
    await waitUntil(() => receiver.arrivals.length >= 25 && receiver.arrivals.length % 5 === 0, 30_000, 'a head waiting for its retry');
    const admin = new Redis(redis.url);
    onTestFinished(() => admin.disconnect());
    await admin.flushall();

    await waitUntil(
      () => receiver.receipts.length >= 100,
      60_000,
      () => `100 receipts; have ${receiver.receipts.length}`,
    );
    expect(receiver.receipts).toEqual(events.map((e) => e.data.i));
    expect(receiver.outOfTurn).toEqual([]);
    expect(receiver.maxOpen()).toBe(1);
  }, 90_000);
});
