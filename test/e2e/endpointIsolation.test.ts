import type { ServerResponse } from 'node:http';
import { onTestFinished, describe, expect, it } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }
`;

/** A receiver that holds every request open until `release()`, and remembers the most it held at once. */
async function holdingReceiver(): Promise<Receiver & { open: () => number; maxOpen: () => number; release: () => void }> {
  const receiver = await startReceiver();
  const held = new Set<ServerResponse>();
  let maxOpen = 0;
  receiver.respondWith((_req, res) => {
    held.add(res);
    maxOpen = Math.max(maxOpen, held.size);
    res.once('close', () => held.delete(res));
  });
  const release = () => {
    for (const res of held) res.writeHead(200).end('ok');
  };
  return Object.assign(receiver, { open: () => held.size, maxOpen: () => maxOpen, release });
}

describe('one slow endpoint does not hold up the others', () => {
  it('caps each endpoint at its maxConcurrency while a healthy endpoint is served meanwhile', async () => {
    const h = await startHarness({ HOOKPOST_WORKER_CONCURRENCY: '8', HOOKPOST_RETRY_SCHEDULE: '60' });
    onTestFinished(() => h.close());
    const healthy = await startReceiver();
    const stuck = await holdingReceiver();
    const silent = await holdingReceiver();
    for (const r of [healthy, stuck, silent]) onTestFinished(() => r.close());
    const { key } = await h.createProject('Isolation');
    const create = (url: string, extra: Record<string, unknown> = {}) => h.ok(CREATE_WEBHOOK, { input: { url, events: ['iso.*'], ...extra } }, key);
    await create(healthy.url);
    const stuckHook = await create(stuck.url, { maxConcurrency: 2 });
    await create(silent.url, { maxConcurrency: 3 });
    const { webhook } = await h.ok(`query($id: ID!) { webhook(id: $id) { maxConcurrency } }`, { id: stuckHook.createWebhook.webhook.id }, key);
    expect(webhook.maxConcurrency).toBe(2);

    h.startWorker();
    const events = Array.from({ length: 40 }, (_, i) => ({ type: 'iso.tick', data: { i } }));
    expect((await h.ok(PUBLISH_MANY, { e: events }, key)).publishEvents.deliveryCount).toBe(120);

    // The worker has 8 slots. First the two stuck endpoints hold all they may (2 + 3); then, while
    // they still hold them, every one of the healthy endpoint's 40 deliveries goes through.
    await waitUntil(
      () => stuck.open() === 2 && silent.open() === 3,
      15_000,
      () => `the stuck endpoints to hold their caps; open: ${stuck.open()} and ${silent.open()}`,
    );
    await healthy.waitFor(40, 15_000);
    expect(healthy.requests).toHaveLength(40);
    expect([stuck.open(), silent.open()]).toEqual([2, 3]);
    expect(stuck.requests).toHaveLength(2);
    expect(silent.requests).toHaveLength(3);

    // As the stuck endpoint answers, its next deliveries go, never more than two at a time.
    for (let round = 0; round < 3; round++) {
      stuck.release();
      await stuck.waitFor(2 * (round + 2), 10_000);
    }
    expect(stuck.maxOpen()).toBe(2);
    expect(silent.maxOpen()).toBe(3);
    expect(silent.requests).toHaveLength(3);
    silent.release();
    stuck.release();
  }, 60_000);
});
