import { onTestFinished, describe, expect, it } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount results { event { id } } } }
`;

/** A receiver that answers after `delayMs` (never, for Infinity) and remembers the most requests it held at once. */
async function heldReceiver(delayMs: number): Promise<Receiver & { maxOpen: () => number }> {
  const receiver = await startReceiver();
  let open = 0;
  let maxOpen = 0;
  receiver.respondWith((_req, res) => {
    maxOpen = Math.max(maxOpen, ++open);
    res.once('close', () => open--);
    if (Number.isFinite(delayMs)) setTimeout(() => res.writeHead(200).end('ok'), delayMs);
  });
  return Object.assign(receiver, { maxOpen: () => maxOpen });
}

describe('one slow endpoint does not hold up the others', () => {
  it('caps each endpoint at its maxConcurrency while a healthy endpoint keeps receiving at once', async () => {
    const h = await startHarness({ HOOKPOST_WORKER_CONCURRENCY: '8', HOOKPOST_RETRY_SCHEDULE: '60' });
    onTestFinished(() => h.close());
    const healthy = await startReceiver();
    const slow = await heldReceiver(3000);
    const silent = await heldReceiver(Infinity);
    for (const r of [healthy, slow, silent]) onTestFinished(() => r.close());
    const { key } = await h.createProject('Isolation');
    const create = (url: string, extra: Record<string, unknown> = {}) =>
      h.ok(CREATE_WEBHOOK, { input: { url, events: ['iso.*'], ...extra } }, key);
    await create(healthy.url);
    const slowHook = await create(slow.url, { maxConcurrency: 2 });
    await create(silent.url, { maxConcurrency: 3, timeoutSeconds: 5 });
    expect((await h.ok(`query($id: ID!) { webhook(id: $id) { maxConcurrency } }`, { id: slowHook.createWebhook.webhook.id }, key)).webhook.maxConcurrency).toBe(2);

    h.startWorker();
    const events = Array.from({ length: 40 }, (_, i) => ({ type: 'iso.tick', data: { i } }));
    const started = Date.now();
    const { publishEvents } = await h.ok(PUBLISH_MANY, { e: events }, key);
    expect(publishEvents.deliveryCount).toBe(120);

    // The worker has 8 slots; the slow and the silent endpoint may hold 2 + 3 of them, never more.
    await healthy.waitFor(40, 10_000);
    const healthyDone = Date.now() - started;
    expect(healthyDone).toBeLessThan(2500);
    expect(slow.requests.length).toBeLessThanOrEqual(2);
    expect(silent.requests.length).toBeLessThanOrEqual(3);
    expect(slow.maxOpen()).toBe(2);
    expect(silent.maxOpen()).toBe(3);

    // The slow endpoint goes on being served two at a time as it answers.
    await slow.waitFor(6, 15_000);
    expect(slow.maxOpen()).toBe(2);
  }, 40_000);
});
