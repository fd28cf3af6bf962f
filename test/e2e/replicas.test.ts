// Subscriptions across processes: the worker runs in a process of its own, the event is published
// through one API replica, and the live stream is read from another.
import { afterAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { createCoreDeps } from '../../src/core/deps.ts';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

it('an attempt made by a worker process streams to a subscriber on another API replica', async () => {
  const h = await startHarness();
  cleanups.push(() => h.close());
  const replicaDeps = await createCoreDeps(h.config);
  const replica = buildApp(replicaDeps);
  const replicaUrl = await replica.listen(0);
  cleanups.push(async () => {
    await replica.close();
    await replicaDeps.close();
  });
  const worker = spawnWorker(workerEnv(h.config));
  cleanups.push(async () => {
    worker.kill('SIGTERM');
    await exited(worker);
  });
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());

  const { key } = await h.createProject('Replicas');
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['far.*'] } }, key);
  const client = createClient({ url: `${replicaUrl.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
  cleanups.push(async () => client.dispose());
  const attempt = new Promise<any>((resolve, reject) =>
    client.subscribe(
      { query: `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { attemptNumber succeeded delivery { event { type } } } }`, variables: { w: createWebhook.webhook.id } },
      { next: (m) => resolve(m), error: reject, complete: () => {} },
    ),
  );
  await h.waitForSubscriber('deliveryAttemptCreated');
  await new Promise((r) => setTimeout(r, 200));
  await h.ok(PUBLISH_EVENT, { input: { type: 'far.away', data: {} } }, key);
  const message = await attempt;
  expect(message.data.deliveryAttemptCreated).toEqual({ attemptNumber: 1, succeeded: true, delivery: { event: { type: 'far.away' } } });
}, 60_000);
