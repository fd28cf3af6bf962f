import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

const SUBSCRIBERS = 25;
const EVENTS = 20;

describe('live dashboards', () => {
  it('every subscriber of a project receives every attempt of that project, and nothing of another', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const { projectId, key } = await h.createProject('Watched');
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['live.*'] } }, key);
    const other = await h.createProject('Not watched');
    await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['live.*'] } }, other.key);

    const query = 'subscription { deliveryAttemptCreated { id attemptNumber succeeded delivery { id event { data } } } }';
    const subs = Array.from({ length: SUBSCRIBERS }, () => wsSubscription(h.wsClient(key), query));
    for (const sub of subs) onTestFinished(() => sub.close());
    const scope = { ...MARKER_IDS, webhookId: createWebhook.webhook.id, projectId };
    for (const sub of subs) await proveLive(h, sub, 'deliveryAttemptCreated', scope);

    h.startWorker();
    const events = Array.from({ length: EVENTS }, (_, i) => ({ type: 'live.tick', data: { i } }));
    const publish = 'mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }';
    await h.ok(publish, { e: events }, key);
    await h.ok(publish, { e: events }, other.key);

    await waitUntil(() => subs.every((s) => s.items.length >= EVENTS), 20_000, 'every subscriber to get every attempt');
    const expected = new Set(Array.from({ length: EVENTS }, (_, i) => i));
    for (const sub of subs) {
      expect(sub.errors).toEqual([]);
      expect(sub.items).toHaveLength(EVENTS); // nothing of the other project
      expect(new Set(sub.items.map((a: { delivery: { event: { data: { i: number } } } }) => a.delivery.event.data.i))).toEqual(expected);
    }
    // All of them saw the very same attempts.
    const ids = (sub: (typeof subs)[number]) => sub.items.map((a: { id: string }) => a.id).sort();
    for (const sub of subs) expect(ids(sub)).toEqual(ids(subs[0]));
  }, 60_000);
});
