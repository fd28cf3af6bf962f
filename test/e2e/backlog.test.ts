// A backlog on one endpoint drains on wake-ups alone: the sweep (here a minute away) is for work
// nobody was told about, never for what this worker already knows is due.
import { expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';

it('sends all of a backlog bigger than the endpoint cap without waiting for the sweep, however the answers interleave with the claims', async () => {
  const h = await startHarness({ HOOKPOST_POLL_INTERVAL_MS: '60000', HOOKPOST_WORKER_CONCURRENCY: '20' });
  onTestFinished(() => h.close());
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());
  // Answers of varied speed, so that slots free up while a claim is under way.
  let n = 0;
  receiver.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), (n++ % 4) * 7));
  const { key } = await h.createProject('Backlog');
  await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['backlog.*'], maxConcurrency: 3 } }, key);
  h.startWorker();
  const EVENTS = 60;
  const events = Array.from({ length: EVENTS }, (_, i) => ({ type: 'backlog.tick', data: { i } }));
  await h.ok(`mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }`, { e: events }, key);
  // Well before the sweep's first look, a minute away.
  const requests = await receiver.waitFor(EVENTS, 20_000);
  expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(EVENTS);
});
