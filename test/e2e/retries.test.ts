import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, DELIVERIES, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let project: { projectId: string; key: string };
const receivers: Receiver[] = [];

beforeAll(async () => {
  h = await startHarness({
    HOOKPOST_RETRY_SCHEDULE: '0.2,0.2',
    HOOKPOST_DISABLE_AFTER_FAILURES: '10',
    HOOKPOST_WORKER_CONCURRENCY: '1',
  });
  h.startWorker();
  project = await h.createProject('Retries');
});
afterAll(async () => {
  await h.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function setup(events: string[], extra: Record<string, unknown> = {}) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events, ...extra } }, project.key);
  return { receiver, webhookId: createWebhook.webhook.id as string };
}

const publish = async (type: string, data: Record<string, unknown> = {}, idempotencyKey?: string) =>
  (await h.ok(PUBLISH_EVENT.replace('deliveryCount', 'deliveryCount replayed'), { input: { type, data, idempotencyKey } }, project.key)).publishEvent;

async function deliveryOf(eventId: string) {
  return (await h.ok(DELIVERIES, { eventId }, project.key)).deliveries.edges[0].node;
}

async function settled(eventId: string, status: string) {
  return waitUntil(async () => {
    const d = await deliveryOf(eventId);
    return d.status === status && d;
  }, 15_000, `delivery of ${eventId} to be ${status}`);
}

const WEBHOOK = `query($id: ID!) { webhook(id: $id) { active disabledReason disabledAt consecutiveFailures retrySchedule } }`;

describe('retries', () => {
  it('retries on the schedule until the receiver succeeds', async () => {
    const { receiver } = await setup(['retry.ok']);
    let calls = 0;
    receiver.respondWith((_req, res) => (++calls < 3 ? res.writeHead(500).end('not yet') : res.writeHead(200).end('ok')));
    const { event } = await publish('retry.ok');
    const retrying = await waitUntil(async () => {
      const d = await deliveryOf(event.id);
      return d.status === 'RETRYING' && d;
    });
    expect(retrying.nextAttemptAt).not.toBeNull();
    const done = await settled(event.id, 'SUCCEEDED');
    expect(done.attemptCount).toBe(3);
    const attempts = done.attempts.edges.map((e: any) => e.node);
    expect(attempts.map((a: any) => [a.attemptNumber, a.responseStatus, a.succeeded])).toEqual([
      [3, 200, true],
      [2, 500, false],
      [1, 500, false],
    ]);
    // The same message id on every try, so receivers can de-duplicate.
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    // Waits between tries follow the 0.2 s schedule, ±20 %.
    const gap = receiver.requests[1].receivedAt - receiver.requests[0].receivedAt;
    expect(gap).toBeGreaterThanOrEqual(150);
  });

  it('dead-letters after the last attempt, then retryDelivery and recoverFailedDeliveries bring deliveries back', async () => {
    const { receiver, webhookId } = await setup(['dead.*']);
    receiver.respondWith((_req, res) => res.writeHead(502).end('down'));
    const since = new Date(Date.now() - 1000).toISOString();
    const events = [];
    // 3 events × 3 attempts stays under the auto-disable threshold of 10.
    for (let i = 0; i < 3; i++) events.push((await publish('dead.letter', { i })).event);
    for (const e of events) await settled(e.id, 'FAILED');
    expect((await deliveryOf(events[0].id)).attemptCount).toBe(3);

    const deadLetters = async (vars: Record<string, unknown>) =>
      (await h.ok(DELIVERIES, { ...vars, status: 'FAILED' }, project.key)).deliveries.edges.map((e: any) => e.node.event.id);
    expect(await deadLetters({ webhookId })).toEqual(events.map((e) => e.id).reverse());
    expect(await deadLetters({ projectId: project.projectId })).toEqual(expect.arrayContaining(events.map((e) => e.id)));

    receiver.respondWith((_req, res) => res.writeHead(200).end('back'));
    const first = await deliveryOf(events[0].id);
    const { retryDelivery } = await h.ok(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id status } } }`, { id: first.id }, project.key);
    expect(retryDelivery.delivery.status).toBe('PENDING');
    const retried = await settled(events[0].id, 'SUCCEEDED');
    expect(retried.attemptCount).toBe(4);
    expect(retried.attempts.edges[0].node).toMatchObject({ attemptNumber: 4, succeeded: true });

    const before = receiver.requests.length;
    const { recoverFailedDeliveries } = await h.ok(
      `mutation($w: ID!, $since: DateTime!) { recoverFailedDeliveries(input: { webhookId: $w, since: $since }) { count } }`,
      { w: webhookId, since },
      project.key,
    );
    expect(recoverFailedDeliveries.count).toBe(2);
    await settled(events[1].id, 'SUCCEEDED');
    await settled(events[2].id, 'SUCCEEDED');
    const resent = receiver.requests.slice(before).map((r) => JSON.parse(r.body).data.i);
    expect(resent).toEqual([1, 2]); // event order
  });

  it('retryDelivery on a SUCCEEDED delivery is an explicit resend, logged as a further attempt', async () => {
    const { receiver } = await setup(['resend.me']);
    const { event } = await publish('resend.me');
    const delivery = await settled(event.id, 'SUCCEEDED');
    await h.ok(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, { id: delivery.id }, project.key);
    await receiver.waitFor(2);
    const again = await waitUntil(async () => {
      const d = await deliveryOf(event.id);
      return d.attemptCount === 2 && d.status === 'SUCCEEDED' && d;
    });
    expect(again.attempts.edges.map((e: any) => e.node.attemptNumber)).toEqual([2, 1]);
    expect(receiver.requests[1].headers['webhook-id']).toBe(event.id);
  });

  it('honours Retry-After on 429 within the schedule’s bounds', async () => {
    const { receiver } = await setup(['slow.down'], { retryPolicy: { schedule: [0.1, 5] } });
    let calls = 0;
    receiver.respondWith((_req, res) => (++calls === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : res.writeHead(200).end()));
    const { event } = await publish('slow.down');
    await settled(event.id, 'SUCCEEDED');
    const gap = receiver.requests[1].receivedAt - receiver.requests[0].receivedAt;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(4000);
  });
});

describe('disabling', () => {
  it('410 Gone disables the webhook at once and dead-letters the delivery', async () => {
    const { receiver, webhookId } = await setup(['gone.away']);
    receiver.respondWith((_req, res) => res.writeHead(410).end());
    const { event } = await publish('gone.away');
    const d = await settled(event.id, 'FAILED');
    expect(d.attemptCount).toBe(1);
    const { webhook } = await h.ok(WEBHOOK, { id: webhookId }, project.key);
    expect(webhook).toMatchObject({ active: false, disabledReason: 'The endpoint answered 410 Gone' });
    expect(webhook.disabledAt).not.toBeNull();
  });

  it('auto-disables after N consecutive failures, holds open deliveries, resumes them on re-enable', async () => {
    const { receiver, webhookId } = await setup(['flaky.*'], { retryPolicy: { schedule: Array(12).fill(0.1) } });
    receiver.respondWith((_req, res) => res.writeHead(500).end());
    const client = h.wsClient(project.key);
    const statusChanges: any[] = [];
    client.subscribe(
      { query: `subscription { webhookStatusChanged { id active disabledReason } }` },
      { next: (m) => statusChanges.push(m.data?.webhookStatusChanged), error: () => {}, complete: () => {} },
    );
    await h.waitForSubscriber('webhookStatusChanged');
    const a = (await publish('flaky.a')).event;
    const b = (await publish('flaky.b')).event;
    const { webhook } = await waitUntil(async () => {
      const r = await h.ok(WEBHOOK, { id: webhookId }, project.key);
      return !r.webhook.active && r;
    });
    expect(webhook.disabledReason).toBe('Disabled after 10 consecutive failed attempts');
    await waitUntil(() => statusChanges.some((c) => c?.id === webhookId && !c.active), 5000, 'a disable event');

    // Held: no more attempts while disabled, and no retries spent.
    const attemptsWhenDisabled = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(receiver.requests.length).toBe(attemptsWhenDisabled);
    for (const e of [a, b]) expect(['RETRYING', 'PENDING']).toContain((await deliveryOf(e.id)).status);
    // Events published while it is disabled are not addressed to it.
    expect((await publish('flaky.c')).deliveryCount).toBe(0);

    receiver.respondWith((_req, res) => res.writeHead(200).end());
    const { updateWebhook } = await h.ok(
      `mutation($id: ID!) { updateWebhook(input: { id: $id, active: true }) { webhook { active disabledReason consecutiveFailures } } }`,
      { id: webhookId },
      project.key,
    );
    expect(updateWebhook.webhook).toEqual({ active: true, disabledReason: null, consecutiveFailures: 0 });
    await settled(a.id, 'SUCCEEDED');
    await settled(b.id, 'SUCCEEDED');
    await waitUntil(() => statusChanges.some((c) => c?.id === webhookId && c.active), 5000, 'an enable event');
  });

  it('retryDelivery and sendTestEvent refuse while the webhook is disabled', async () => {
    const { webhookId } = await setup(['off.*'], { retryPolicy: { schedule: [] } });
    const { event } = await publish('off.now');
    const d = await settled(event.id, 'SUCCEEDED');
    await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }`, { id: webhookId }, project.key);
    const res = await h.gql(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, { id: d.id }, project.key);
    expect(res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const test = await h.gql(`mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, { w: webhookId }, project.key);
    expect(test.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});

describe('idempotent publish', () => {
  it('the same key returns the first event and creates nothing new', async () => {
    const { receiver } = await setup(['once.only']);
    const first = await publish('once.only', { n: 1 }, 'order-42-shipped');
    const again = await publish('once.only', { n: 2 }, 'order-42-shipped');
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, deliveryCount: 1, event: { id: first.event.id, data: { n: 1 } } });
    const racing = await Promise.all([1, 2, 3].map(() => publish('once.only', {}, 'racing-key')));
    expect(new Set(racing.map((r) => r.event.id)).size).toBe(1);
    await settled(first.event.id, 'SUCCEEDED');
    await new Promise((r) => setTimeout(r, 300));
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(ids.filter((id) => id === first.event.id)).toHaveLength(1);
    expect(await h.deps.db.event.count({ where: { projectId: project.projectId, idempotencyKey: 'order-42-shipped' } })).toBe(1);
  });

  it('a key may be used again once its first event is older than 24 h', async () => {
    await setup(['later.*']);
    const first = await publish('later.on', { n: 1 }, 'daily-report');
    // Age the first event past the window (the database is this test's own).
    await h.deps.db.event.update({ where: { id: first.event.id }, data: { timestamp: new Date(Date.now() - 25 * 3600 * 1000) } });
    const second = await publish('later.on', { n: 2 }, 'daily-report');
    expect(second.replayed).toBe(false);
    expect(second.event.id).not.toBe(first.event.id);
    expect(second.deliveryCount).toBe(1);
  });
});
