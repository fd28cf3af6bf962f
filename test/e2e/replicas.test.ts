// Subscriptions across processes: the worker runs in a process of its own, the event is published
// through one API replica, and the live stream is read from another.
import { createClient } from 'graphql-ws';
import { expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { startHarness, startReplica } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

it('an attempt made by a worker process streams to a subscriber on another API replica', async () => {
  const h = await startHarness();
  onTestFinished(() => h.close());
  const replicaUrl = await startReplica(h);
  const worker = spawnWorker(workerEnv(h.config));
  onTestFinished(async () => {
    worker.kill('SIGTERM');
    await exited(worker);
  });
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());

  const { projectId, key } = await h.createProject('Replicas');
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['far.*'] } }, key);
  const webhookId = createWebhook.webhook.id;
  const client = createClient({
    url: `${replicaUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  onTestFinished(() => client.dispose());
  const attempts = wsSubscription(
    client,
    `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { attemptNumber succeeded delivery { event { type } } } }`,
    { w: webhookId },
  );
  // Published by this process, received through Redis by the replica's subscription.
  await proveLive(h, attempts, 'deliveryAttemptCreated', { attemptId: MARKER_IDS.attemptId, deliveryId: MARKER_IDS.deliveryId, webhookId, projectId });
  await h.ok(PUBLISH_EVENT, { input: { type: 'far.away', data: {} } }, key);
  await waitUntil(() => attempts.items.length > 0, 30_000, 'the attempt on the replica');
  expect(attempts.items).toEqual([{ attemptNumber: 1, succeeded: true, delivery: { event: { type: 'far.away' } } }]);
}, 60_000);
