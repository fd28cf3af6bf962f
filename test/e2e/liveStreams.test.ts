import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK, DELIVERIES } from '../support/operations.ts';
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
    const otherHook = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['live.*'] } }, other.key);

    const query = 'subscription { deliveryAttemptCreated { id attemptNumber succeeded delivery { id event { data } } } }';
    const subs = Array.from({ length: SUBSCRIBERS }, () => wsSubscription(h.wsClient(key), query));
    for (const sub of subs) onTestFinished(() => sub.close());
    const scope = { ...MARKER_IDS, webhookId: createWebhook.webhook.id, projectId };
    for (const sub of subs) await proveLive(h, sub, 'deliveryAttemptCreated', scope);
    // The other project's own watcher: once it has had all of its project's attempts, every one of
    // them has gone through the API process, so a leak to the watched project's subscribers would too.
    const otherWatcher = wsSubscription(h.wsClient(other.key), query);
    onTestFinished(() => otherWatcher.close());
    const otherScope = { ...MARKER_IDS, webhookId: otherHook.createWebhook.webhook.id, projectId: other.projectId };
    await proveLive(h, otherWatcher, 'deliveryAttemptCreated', otherScope);

    h.startWorker();
    const events = Array.from({ length: EVENTS }, (_, i) => ({ type: 'live.tick', data: { i } }));
    const publish = 'mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }';
    await h.ok(publish, { e: events }, key);
    await h.ok(publish, { e: events }, other.key);

    await waitUntil(() => subs.every((s) => s.items.length >= EVENTS), 20_000, 'every subscriber to get every attempt');
    const succeeded = async (projectKey: string) => (await h.ok(DELIVERIES, { status: 'SUCCEEDED' }, projectKey)).deliveries.edges.length === EVENTS;
    await waitUntil(() => succeeded(key), 20_000, "the watched project's deliveries to succeed");
    await waitUntil(() => succeeded(other.key), 20_000, "the other project's deliveries to succeed");
    await waitUntil(() => otherWatcher.items.length >= EVENTS, 20_000, "the other project's watcher to get its attempts");
    // A marker published now travels the same channel behind every attempt published before it, so
    // once it has reached a subscriber, anything that was going to leak to it has arrived too.
    for (const sub of subs) await proveLive(h, sub, 'deliveryAttemptCreated', scope);
    const own = await h.deps.db.delivery.findMany({ where: { webhookId: createWebhook.webhook.id }, select: { id: true } });
    const ownDeliveries = new Set(own.map((d) => d.id));
    expect(ownDeliveries.size).toBe(EVENTS);
    const expected = new Set(Array.from({ length: EVENTS }, (_, i) => i));
    for (const sub of subs) {
      expect(sub.errors).toEqual([]);
      expect(sub.items).toHaveLength(EVENTS); // nothing of the other project, before or after
      expect(new Set(sub.items.map((a: { delivery: { event: { data: { i: number } } } }) => a.delivery.event.data.i))).toEqual(expected);
      expect(sub.items.every((a: { delivery: { id: string } }) => ownDeliveries.has(a.delivery.id))).toBe(true);
    }
    expect(otherWatcher.items).toHaveLength(EVENTS);
    // All of them saw the very same attempts.
    const ids = (sub: (typeof subs)[number]) => sub.items.map((a: { id: string }) => a.id).sort();
    for (const sub of subs) expect(ids(sub)).toEqual(ids(subs[0]));
  }, 60_000);
});
