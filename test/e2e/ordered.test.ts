import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { type LineAnswer, type LineReceiver, startLineReceiver } from '../support/lineReceiver.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { parseMetrics, sampleValue } from '../support/metricsText.ts';
import { waitUntil } from '../support/wait.ts';

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount results { event { id } } } }
`;
const RETRY = /* GraphQL */ `mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id status } } }`;
const RECOVER = /* GraphQL */ `mutation($input: RecoverFailedDeliveriesInput!) { recoverFailedDeliveries(input: $input) { count } }`;
const UPDATE = /* GraphQL */ `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { id ordered } } }`;

let h: Harness;
let key: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  // Few worker slots: an ordered line's backlog must take none of them.
  h = await startHarness({ HOOKPOST_WORKER_CONCURRENCY: '3', HOOKPOST_DISABLE_AFTER_FAILURES: '1000' });
  h.startWorker();
  ({ key } = await h.createProject('Ordered'));
});
afterAll(async () => {
  await h.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function orderedEndpoint(type: string, answer: (i: number, nth: number) => LineAnswer, extra: Record<string, unknown> = {}) {
  const receiver = await startLineReceiver(answer);
  receivers.push(receiver);
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: [type], ordered: true, ...extra } }, key);
  return { receiver, webhookId: createWebhook.webhook.id as string };
}

/** Publishes events `data.i` = from..to-1 in one call; returns their event ids. */
async function publish(type: string, from: number, to: number): Promise<string[]> {
  const events = Array.from({ length: to - from }, (_, j) => ({ type, data: { i: from + j } }));
  const { publishEvents } = await h.ok(PUBLISH_MANY, { e: events }, key);
  return publishEvents.results.map((r: any) => r.event.id);
}

const statusOf = async (webhookId: string, eventId: string) =>
  (await h.deps.db.delivery.findUniqueOrThrow({ where: { eventId_webhookId: { eventId, webhookId } } })).status;

/** Looks at the schedule the in-process worker has taken so far. */
const sweepCount = async () => sampleValue(parseMetrics((await h.deps.metrics.render()).body), 'hookpost_sweeps_total') ?? 0;

const waitForReceipts = (receiver: LineReceiver, count: number) =>
  waitUntil(
    () => receiver.receipts.length >= count,
    20_000,
    () => `${count} receipts; have ${JSON.stringify(receiver.receipts)}`,
  );

describe('ordered endpoints', () => {
  it('sends one at a time in list order, and a head that exhausts its schedule is dead-lettered before the next goes', async () => {
    let zeroStatus = 503;
    const { receiver, webhookId } = await orderedEndpoint('dead.*', (i) => (i === 0 ? zeroStatus : 200), { retryPolicy: { schedule: [0.1, 0.1] } });
    const ids = await publish('dead.letter', 0, 20);
    await waitForReceipts(receiver, 19);
    // Event 0 tried three times (its whole schedule) while the others waited; then the rest, in order.
    expect(receiver.arrivals).toEqual([0, 0, 0, ...Array.from({ length: 19 }, (_, j) => j + 1)]);
    expect(receiver.maxOpen()).toBe(1);
    expect(await statusOf(webhookId, ids[0])).toBe('FAILED');
    await waitUntil(async () => (await statusOf(webhookId, ids[19])) === 'SUCCEEDED', 10_000, 'the last delivery SUCCEEDED');

    // Recovered, the dead letter goes through the line again (now empty) and succeeds.
    zeroStatus = 200;
    const { recoverFailedDeliveries } = await h.ok(RECOVER, { input: { webhookId, since: new Date(Date.now() - 3600_000).toISOString() } }, key);
    expect(recoverFailedDeliveries.count).toBe(1);
    await waitForReceipts(receiver, 20);
    expect(receiver.receipts.at(-1)).toBe(0);
    expect(receiver.maxOpen()).toBe(1);
  }, 60_000);

  it('publishes that overlap in time go in the order they were committed: their line positions', async () => {
    const { receiver, webhookId } = await orderedEndpoint('race.*', () => 200);
    await Promise.all(Array.from({ length: 40 }, (_, i) => h.ok(PUBLISH_EVENT, { input: { type: 'race.tick', data: { i } } }, key)));
    await waitForReceipts(receiver, 40);
    const { rows } = await h.deps.sql.query<{ i: number }>(
      `SELECT (e.data->>'i')::int AS i FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = $1 ORDER BY d.line_seq`,
      [webhookId],
    );
    expect(receiver.receipts).toEqual(rows.map((r) => r.i));
    expect(receiver.maxOpen()).toBe(1);
  }, 60_000);

  it('a replayed dead letter goes through the line: after the delivery in flight, before later events', async () => {
    let acceptZero = false;
    const { receiver, webhookId } = await orderedEndpoint('replay.*', (i) => (i === 0 ? (acceptZero ? 200 : 500) : i === 2 ? 'hold' : 200), {
      retryPolicy: { schedule: [0.1] },
    });
    const [zero] = await publish('replay.me', 0, 2);
    await waitForReceipts(receiver, 1);
    expect(await statusOf(webhookId, zero)).toBe('FAILED');
    // Event 2 is held at the receiver; 3 waits behind it.
    await publish('replay.me', 2, 4);
    await waitUntil(() => receiver.arrivals.includes(2), 10_000, 'event 2 in flight');
    acceptZero = true;
    const { retryDelivery } = await h.ok(RETRY, { id: (await h.deps.db.delivery.findFirstOrThrow({ where: { eventId: zero } })).id }, key);
    expect(retryDelivery.delivery.status).toBe('PENDING');
    // Nothing else goes while 2 is in flight: the replay and 3 wait. The replay was due before the
    // answer; two looks at the schedule later the worker has found the line due since, and
    // anything it claimed would hold a lease (a claim leases before it sends).
    const looksSoFar = await sweepCount();
    await waitUntil(async () => (await sweepCount()) >= looksSoFar + 2, 10_000, 'the worker to look at the schedule again');
    const leased = await h.deps.sql.query<{ i: number }>(
      `SELECT (e.data->>'i')::int AS i FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.webhook_id = $1 AND d.lease_until >= now()::timestamp`,
      [webhookId],
    );
    expect(leased.rows.map((r) => r.i)).toEqual([2]);
    expect(receiver.arrivals).toEqual([0, 0, 1, 2]);
    receiver.release();
    await waitForReceipts(receiver, 4);
    expect(receiver.receipts).toEqual([1, 2, 0, 3]);
    expect(receiver.maxOpen()).toBe(1);
  }, 60_000);

  it('an unordered endpoint is not slowed by an ordered one that is failing; turning ordered off releases the line', async () => {
    const blocked = await orderedEndpoint('mixed.*', () => 500, { retryPolicy: { schedule: [600] } });
    const free = await startReceiver();
    receivers.push(free);
    await h.ok(CREATE_WEBHOOK, { input: { url: free.url, events: ['mixed.*'] } }, key);
    const ids = await publish('mixed.tick', 0, 60);

    // The free endpoint gets everything while the ordered one has made its one attempt and waits.
    await free.waitFor(60, 20_000);
    expect(new Set(free.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
    expect(blocked.receiver.arrivals).toEqual([0]);
    expect(await statusOf(blocked.webhookId, ids[0])).toBe('RETRYING');
    expect(await statusOf(blocked.webhookId, ids[1])).toBe('PENDING');

    // No longer ordered: the deliveries that waited in the line go out like any other.
    blocked.receiver.respondWith((_req, res) => res.writeHead(200).end('ok'));
    const { updateWebhook } = await h.ok(UPDATE, { input: { id: blocked.webhookId, ordered: false } }, key);
    expect(updateWebhook.webhook.ordered).toBe(false);
    await blocked.receiver.waitFor(60, 20_000);
    expect(new Set(blocked.receiver.requests.slice(1).map((r) => r.headers['webhook-id']))).toEqual(new Set(ids.slice(1)));
  }, 60_000);
});
