import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { exited, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const EVENTS = 600;
const ENDPOINTS = 3;

describe('scale-out', () => {
  it('two worker processes share the work and make no delivery twice', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    // A little latency at the receiver, so that both workers have deliveries in flight at once.
    receiver.respondWith((_req, res) => setTimeout(() => res.writeHead(204).end(), 5));
    const { projectId, key } = await h.createProject('Scale');
    for (let i = 0; i < ENDPOINTS; i++) {
      await h.ok(CREATE_WEBHOOK, { input: { url: `${receiver.url}/${i}`, events: ['scale.*'], maxConcurrency: 20 } }, key);
    }
    // Each worker sends from its own loopback address, so the receiver can tell them apart.
    const workers = ['127.0.0.2', '127.0.0.3'].map((address) =>
      spawnWorker(workerEnv(h.config, { HOOKPOST_WORKER_CONCURRENCY: '20', HOOKPOST_SOURCE_ADDRESS: address })),
    );
    for (const w of workers) {
      onTestFinished(async () => {
        w.kill('SIGKILL');
        await exited(w);
      });
    }
    for (let i = 0; i < EVENTS; i += 100) {
      const events = Array.from({ length: 100 }, (_, j) => ({ type: 'scale.tick', data: { i: i + j } }));
      await h.ok('mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }', { e: events }, key);
    }

    const requests = await receiver.waitFor(EVENTS * ENDPOINTS, 60_000);
    const pairs = requests.map((r) => `${r.path} ${r.headers['webhook-id']}`);
    expect(new Set(pairs).size).toBe(EVENTS * ENDPOINTS);
    // Attempts are recorded in batches right after the answers: wait for the last batch.
    const succeeded = async () =>
      (
        await h.deps.sql.query<{ n: number; attempts: number }>(
          `SELECT count(*)::int AS n, coalesce(sum(attempt_count), 0)::int AS attempts
           FROM deliveries WHERE project_id = $1 AND status = 'SUCCEEDED'`,
          [projectId],
        )
      ).rows[0];
    await waitUntil(async () => (await succeeded()).n === EVENTS * ENDPOINTS, 10_000, 'every delivery recorded');
    expect(await succeeded()).toEqual({ n: EVENTS * ENDPOINTS, attempts: EVENTS * ENDPOINTS });
    expect(await h.deps.db.deliveryAttempt.count()).toBe(EVENTS * ENDPOINTS);
    // Both processes took part.
    expect(new Set(requests.map((r) => r.remoteAddress))).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
  }, 90_000);
});
