import { onTestFinished, describe, expect, it } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { startRedisCluster } from '../support/redisCluster.ts';
import { proveLive, wsSubscription } from '../support/subscriptions.ts';

// Users outgrow one Redis by moving to a Redis Cluster: REDIS_URL lists its nodes.
describe('on a Redis Cluster', () => {
  it('publishes, delivers, retries and streams with the queue in one hash slot', async () => {
    const cluster = await startRedisCluster();
    onTestFinished(() => cluster.stop());
    const h = await startHarness({ REDIS_URL: cluster.url, HOOKPOST_RETRY_SCHEDULE: '0.2' });
    onTestFinished(() => h.close());
    // BullMQ keeps a queue's keys in one slot only under a hash-tagged prefix; config adds the tag.
    expect(h.config.redisPrefix).toMatch(/^\{hookpost-test-[0-9a-f]+\}$/);
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    let calls = 0;
    receiver.respondWith((_req, res) => res.writeHead(++calls === 1 ? 500 : 204).end());
    const { projectId, key } = await h.createProject('Cluster');
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['cluster.*'] } }, key);
    const webhookId = createWebhook.webhook.id;

    const sub = wsSubscription(h.wsClient(key), 'subscription { deliveryAttemptCreated { attemptNumber succeeded } }');
    onTestFinished(() => sub.close());
    await proveLive(h, sub, 'deliveryAttemptCreated', { attemptId: 'att_marker', deliveryId: 'dlv_marker', webhookId, projectId });

    h.startWorker();
    const published = await h.ok(
      `mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount results { event { id } } } }`,
      {
        e: [
          { type: 'cluster.a', data: { n: 1 } },
          { type: 'cluster.b', data: { n: 2 } },
        ],
      },
      key,
    );
    expect(published.publishEvents.deliveryCount).toBe(2);
    // The first answer is a 500: one delivery is retried through the queue on the cluster.
    const requests = await receiver.waitFor(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set(published.publishEvents.results.map((r: { event: { id: string } }) => r.event.id)),
    );
    for (const eventId of published.publishEvents.results.map((r: { event: { id: string } }) => r.event.id)) {
      await h.waitForDelivery({ eventId }, 'SUCCEEDED', key);
    }
    expect(sub.items).toEqual(
      expect.arrayContaining([
        { attemptNumber: 1, succeeded: false },
        { attemptNumber: 2, succeeded: true },
      ]),
    );
    expect(sub.items).toHaveLength(3);
  }, 60_000);
});
