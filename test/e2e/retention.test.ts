// Retention: attempts and settled events' payloads older than HOOKPOST_RETENTION_DAYS are purged by
// the worker in small batches; deliveries, open events and recent rows stay.
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { scrape, sampleValue } from '../support/metricsText.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { idAt } from '../support/rows.ts';
import { waitUntil } from '../support/wait.ts';
import { purgeExpired } from '../../worker/retention.ts';

const DAY_MS = 24 * 3600_000;

async function harness(overrides: Record<string, string> = {}) {
  const h = await startHarness(overrides);
  onTestFinished(() => h.close());
  return h;
}

/** Moves an event, its deliveries' attempts and its own timestamp `days` into the past, ids included, at once. */
async function backdate(h: Harness, eventId: string, days: number): Promise<string> {
  const at = new Date(Date.now() - days * DAY_MS);
  const newEventId = idAt('Event', at);
  // One transaction: a purge running meanwhile sees the rows all moved or none.
  await h.deps.db.$transaction(async (tx) => {
    const attempts = await tx.deliveryAttempt.findMany({ where: { delivery: { eventId } }, select: { id: true } });
    for (const a of attempts) {
      await tx.$executeRaw`UPDATE "delivery_attempts" SET "id" = ${idAt('DeliveryAttempt', at)}, "created_at" = (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC') WHERE "id" = ${a.id}`;
    }
    // deliveries.event_id follows through ON UPDATE CASCADE.
    await tx.$executeRaw`UPDATE "events" SET "id" = ${newEventId}, "timestamp" = (${at.toISOString()}::timestamptz AT TIME ZONE 'UTC') WHERE "id" = ${eventId}`;
  });
  return newEventId;
}

/** A project whose webhook has delivered `count` events (one attempt each), and one more event it refused, retrying in an hour. */
async function traffic(h: Harness, count: number) {
  const r = await startReceiver();
  onTestFinished(() => r.close());
  r.respondWith((req, res) => res.writeHead(JSON.parse(req.body).type === 'keep.open' ? 503 : 200).end());
  const { key } = await h.createProject('Retention');
  const hook = (await h.ok(CREATE_WEBHOOK, { input: { url: r.url, events: ['keep.*'], retryPolicy: { schedule: [3600] } } }, key)).createWebhook.webhook.id;
  const events: string[] = [];
  for (let i = 0; i < count; i++) events.push((await h.ok(PUBLISH_EVENT, { input: { type: 'keep.sent', data: { i } } }, key)).publishEvent.event.id);
  const open = (await h.ok(PUBLISH_EVENT, { input: { type: 'keep.open', data: { open: true } } }, key)).publishEvent.event.id;
  await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })) === count, 20_000, 'delivered');
  await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'RETRYING' } })) === 1, 20_000, 'one retrying');
  return { key, hook, events, open };
}

describe('retention', () => {
  it('purges old attempts and old settled payloads in small batches, and keeps deliveries, open events and recent rows', async () => {
    const h = await harness({ HOOKPOST_RETENTION_DAYS: '0' });
    h.startWorker();
    const { key, hook, events, open } = await traffic(h, 7);
    await h.deps.db.delivery.updateMany({ where: { event: { type: 'keep.sent' } }, data: { status: 'FAILED' } });
    const old = [];
    for (const id of events.slice(0, 5)) old.push(await backdate(h, id, 40));
    const oldOpen = await backdate(h, open, 40);
    const recent = events.slice(5);
    const before = { deliveries: await h.deps.db.delivery.count(), attempts: await h.deps.db.deliveryAttempt.count() };

    const batches: [string, number][] = [];
    const purged = await purgeExpired(h.deps.db, new Date(Date.now() - 30 * DAY_MS), {
      attemptBatch: 2,
      eventBatch: 2,
      onBatch: (kind, n) => batches.push([kind, n]),
    });
    // Every old attempt goes, the open delivery's too; its event keeps the payload it still needs.
    expect(purged).toEqual({ attempts: 6, payloads: 5 });
    expect(batches.every(([, n]) => n <= 2)).toBe(true);
    expect(batches.filter(([k]) => k === 'attempts').map(([, n]) => n)).toEqual([2, 2, 2]);

    const db = h.deps.db;
    expect(await db.deliveryAttempt.count()).toBe(before.attempts - 6);
    expect(await db.deliveryAttempt.count({ where: { delivery: { eventId: { in: recent } } } })).toBe(2);
    expect(await db.delivery.count()).toBe(before.deliveries);
    const rows = await db.event.findMany({ select: { id: true, data: true, dataPurgedAt: true } });
    const byId = new Map(rows.map((e) => [e.id, e]));
    for (const id of old) expect(byId.get(id)).toMatchObject({ data: {}, dataPurgedAt: expect.any(Date) });
    for (const id of [...recent, oldOpen]) expect(byId.get(id)?.dataPurgedAt).toBeNull();
    expect(byId.get(oldOpen)?.data).toEqual({ open: true });

    // Through the API: the event says its payload is gone, and nothing re-sends an empty body.
    const { event } = await h.ok('query($id: ID!) { event(id: $id) { data dataPurgedAt deliveries { edges { node { id } } } } }', { id: old[0] }, key);
    expect(event.data).toEqual({});
    expect(event.dataPurgedAt).not.toBeNull();
    const deliveryId = event.deliveries.edges[0].node.id;
    const retry = await h.gql('mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }', { id: deliveryId }, key);
    expect(retry.errors?.[0].extensions?.code).toBe('CONFLICT');
    const { recoverFailedDeliveries } = await h.ok(
      'mutation($w: ID!, $since: DateTime!) { recoverFailedDeliveries(input: { webhookId: $w, since: $since }) { count } }',
      { w: hook, since: new Date(Date.now() - 60 * DAY_MS).toISOString() },
      key,
    );
    // The two recent dead letters come back; the five whose payload is gone do not.
    expect(recoverFailedDeliveries.count).toBe(2);

    expect(await purgeExpired(h.deps.db, new Date(Date.now() - 30 * DAY_MS))).toEqual({ attempts: 0, payloads: 0 });
  });

  it('runs in the worker on its interval, counted in the metrics', async () => {
    const h = await harness({ HOOKPOST_RETENTION_DAYS: '30', HOOKPOST_RETENTION_INTERVAL_MS: '200' });
    h.startWorker();
    const { events } = await traffic(h, 2);
    const old = await backdate(h, events[0], 31);
    const purged = async () =>
      (await h.deps.db.event.findUniqueOrThrow({ where: { id: old } })).dataPurgedAt !== null &&
      (await h.deps.db.deliveryAttempt.count({ where: { delivery: { eventId: old } } })) === 0;
    await waitUntil(purged, 10_000, 'the old attempt and payload purged');
    expect(await h.deps.db.deliveryAttempt.count({ where: { delivery: { eventId: events[1] } } })).toBe(1);
    const samples = await scrape(h.url);
    expect(sampleValue(samples, 'hookpost_retention_purged_total', { kind: 'attempts' })).toBe(1);
    expect(sampleValue(samples, 'hookpost_retention_purged_total', { kind: 'payloads' })).toBe(1);
  });
});
