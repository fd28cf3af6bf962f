import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, DELIVERIES, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, wsSubscription } from '../support/subscriptions.ts';
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

const settled = (eventId: string, status: string | ((d: any) => boolean)) => h.waitForDelivery({ eventId }, status, project.key);

/**
 * Milliseconds between consecutive tries of a delivery, as its receiver got them; each try is the
 * attempt row of the same number (same signature). Rows are written after the answer, up to a few
 * hundred ms late on a busy machine, so the receiver's clock is the exact one: a retry is timed
 * from after the answer, so no gap there can be shorter than its delay.
 */
async function gapsOf(deliveryId: string, receiver: Receiver): Promise<number[]> {
  const rows = await h.deps.db.deliveryAttempt.findMany({ where: { deliveryId }, orderBy: { attemptNumber: 'asc' } });
  const tries = receiver.requests.filter((r) => r.headers['x-hookpost-delivery'] === deliveryId);
  expect(tries.map((r) => r.headers['webhook-signature'])).toEqual(rows.map((row) => (row.requestHeaders as Record<string, string>)['webhook-signature']));
  return tries.slice(1).map((r, i) => r.receivedAt - tries[i].receivedAt);
}

/** How late a retry may come after the time it was scheduled for: the worker's own time to pick it up, load it and send it. */
const LATE_MS = 1000;

interface RetryTiming {
  /** The delay the worker chose after the failed attempt: its schedule time less the attempt's. */
  delayMs: number;
  /** How long after that time the retry reached the receiver. */
  lateMs: number;
}

/**
 * Answers every request with `status()`, and times each retry against its schedule. When a retry
 * arrives, the delivery's row still holds the time it was due (`nextAttemptAt`, written with the
 * failed attempt before it), and that attempt holds when it was recorded.
 */
function timeRetries(receiver: Receiver, status: () => number): RetryTiming[] {
  const timings: RetryTiming[] = [];
  receiver.respondWith((req, res) => {
    void (async () => {
      const id = String(req.headers['x-hookpost-delivery']);
      const row = await h.deps.db.delivery.findUniqueOrThrow({ where: { id }, select: { attemptCount: true, nextAttemptAt: true } });
      if (row.attemptCount > 0 && row.nextAttemptAt) {
        const failed = await h.deps.db.deliveryAttempt.findFirstOrThrow({ where: { deliveryId: id, attemptNumber: row.attemptCount } });
        const due = row.nextAttemptAt.getTime();
        timings.push({ delayMs: due - failed.createdAt.getTime(), lateMs: req.receivedAt - due });
      }
      const code = status();
      res.writeHead(code).end(code < 300 ? 'ok' : 'not yet');
    })();
  });
  return timings;
}

/** Each retry waited the 0.2 s step ±20 % (the jitter), and went out no sooner than that and at most LATE_MS after. */
function expectOnSchedule(timings: RetryTiming[]) {
  for (const { delayMs, lateMs } of timings) {
    expect(delayMs).toBeGreaterThanOrEqual(160);
    expect(delayMs).toBeLessThanOrEqual(240);
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThanOrEqual(LATE_MS);
  }
}

const WEBHOOK = `query($id: ID!) { webhook(id: $id) { active disabledReason disabledAt consecutiveFailures retrySchedule } }`;

describe('retries', () => {
  it('retries on the schedule until the receiver succeeds', async () => {
    const { receiver } = await setup(['retry.ok']);
    let calls = 0;
    const timings = timeRetries(receiver, () => (++calls < 3 ? 500 : 200));
    const { event } = await publish('retry.ok');
    const retrying = await settled(event.id, 'RETRYING');
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
    // Every wait between tries follows the 0.2 s schedule, ±20 %, and each retry went on time.
    const gaps = await gapsOf(done.id, receiver);
    expect(gaps).toHaveLength(2);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(160);
    expect(timings).toHaveLength(2);
    expectOnSchedule(timings);
  });

  it('dead-letters after the last attempt, then retryDelivery and recoverFailedDeliveries bring deliveries back', async () => {
    const { receiver, webhookId } = await setup(['dead.*']);
    const timings = timeRetries(receiver, () => 502);
    const since = new Date(Date.now() - 1000).toISOString();
    const events = [];
    // 3 events × 3 attempts stays under the auto-disable threshold of 10.
    for (let i = 0; i < 3; i++) events.push((await publish('dead.letter', { i })).event);
    for (const e of events) {
      const dead = await settled(e.id, 'FAILED');
      expect(dead.attemptCount).toBe(3);
      for (const gap of await gapsOf(dead.id, receiver)) expect(gap).toBeGreaterThanOrEqual(160);
    }
    // Two retries each, every one on schedule.
    expect(timings).toHaveLength(6);
    expectOnSchedule(timings);

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
    // Both are re-sent at once (this endpoint is not ordered, so arrival order is not promised).
    const resent = receiver.requests.slice(before).map((r) => JSON.parse(r.body).data.i);
    expect(resent.sort()).toEqual([1, 2]);
  });

  it('retryDelivery on a SUCCEEDED delivery is an explicit resend, logged as a further attempt', async () => {
    const { receiver } = await setup(['resend.me']);
    const { event } = await publish('resend.me');
    const delivery = await settled(event.id, 'SUCCEEDED');
    await h.ok(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, { id: delivery.id }, project.key);
    await receiver.waitFor(2);
    const again = await settled(event.id, (d) => d.attemptCount === 2 && d.status === 'SUCCEEDED');
    expect(again.attempts.edges.map((e: any) => e.node.attemptNumber)).toEqual([2, 1]);
    expect(receiver.requests[1].headers['webhook-id']).toBe(event.id);
  });

  it('honours Retry-After on 429 within the schedule’s bounds', async () => {
    const { receiver } = await setup(['slow.down'], { retryPolicy: { schedule: [0.1, 5] } });
    let calls = 0;
    receiver.respondWith((_req, res) => (++calls === 1 ? res.writeHead(429, { 'retry-after': '1' }).end() : res.writeHead(200).end()));
    const { event } = await publish('slow.down');
    const done = await settled(event.id, 'SUCCEEDED');
    expect(done.attemptCount).toBe(2);
    // Retry-After's 1 s, not the schedule's 0.1 s.
    const [gap] = await gapsOf(done.id, receiver);
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThanOrEqual(1000 + LATE_MS);
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
    const statusChanges = wsSubscription(h.wsClient(project.key), `subscription { webhookStatusChanged { id active disabledReason } }`);
    await proveLive(h, statusChanges, 'webhookStatusChanged', { webhookId: MARKER_IDS.webhookId, projectId: project.projectId, active: false });
    const a = (await publish('flaky.a')).event;
    const b = (await publish('flaky.b')).event;
    const { webhook } = await waitUntil(async () => {
      const r = await h.ok(WEBHOOK, { id: webhookId }, project.key);
      return !r.webhook.active && r;
    });
    expect(webhook.disabledReason).toBe('Disabled after 10 consecutive failed attempts');
    await waitUntil(() => statusChanges.items.some((c) => c.id === webhookId && !c.active), 5000, 'a disable event');

    // Held: the ten failures that disabled it are all the attempts made, but for the other delivery's
    // attempt that may already have been on the wire when the tenth was recorded (both retry at once).
    const attemptCounts = async () => Promise.all([a, b].map(async (e) => (await deliveryOf(e.id)).attemptCount as number));
    // Read once every request the receiver got is recorded as an attempt.
    const whenDisabled = await waitUntil(
      async () => {
        const counts = await attemptCounts();
        return counts[0] + counts[1] === receiver.requests.length ? counts : undefined;
      },
      5000,
      'every attempt made to be recorded',
    );
    const made = whenDisabled[0] + whenDisabled[1];
    expect(made).toBeGreaterThanOrEqual(10);
    expect(made).toBeLessThanOrEqual(11);
    // A witness: another webhook's retry, due well after the held deliveries' next tries were. Once
    // it has been made, the worker has come to those tries, and they must still be unmade.
    const witness = await setup(['witness.*'], { retryPolicy: { schedule: [0.5] } });
    let witnessCalls = 0;
    witness.receiver.respondWith((_req, res) => res.writeHead(++witnessCalls === 1 ? 500 : 200).end());
    const w = (await publish('witness.one')).event;
    expect((await settled(w.id, 'SUCCEEDED')).attemptCount).toBe(2);
    expect(await attemptCounts()).toEqual(whenDisabled);
    for (const e of [a, b]) expect(['RETRYING', 'PENDING']).toContain((await deliveryOf(e.id)).status);
    expect(receiver.requests).toHaveLength(made);
    // Events published while it is disabled are not addressed to it.
    expect((await publish('flaky.c')).deliveryCount).toBe(0);

    receiver.respondWith((_req, res) => res.writeHead(200).end());
    const { updateWebhook } = await h.ok(
      `mutation($id: ID!) { updateWebhook(input: { id: $id, active: true }) { webhook { active disabledReason consecutiveFailures } } }`,
      { id: webhookId },
      project.key,
    );
    expect(updateWebhook.webhook).toEqual({ active: true, disabledReason: null, consecutiveFailures: 0 });
    // No retry was spent while held: one more attempt each, and it succeeds.
    const resumed = [await settled(a.id, 'SUCCEEDED'), await settled(b.id, 'SUCCEEDED')];
    expect(resumed.map((d) => d.attemptCount)).toEqual(whenDisabled.map((n) => n + 1));
    await waitUntil(() => statusChanges.items.some((c) => c.id === webhookId && c.active), 5000, 'an enable event');
  });

  it('retryDelivery and sendTestEvent refuse while the webhook is disabled', async () => {
    const { webhookId } = await setup(['off.*'], { retryPolicy: { schedule: [] } });
    const { event } = await publish('off.now');
    const d = await settled(event.id, 'SUCCEEDED');
    await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }`, { id: webhookId }, project.key);
    const res = await h.gql(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, { id: d.id }, project.key);
    expect(res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const events = await h.deps.db.event.count();
    const test = await h.gql(`mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, { w: webhookId }, project.key);
    expect(test.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // Neither wrote anything: the one delivery stands as it was, and no test event was made.
    const rows = await h.deps.db.delivery.findMany({ where: { webhookId } });
    expect(rows).toMatchObject([{ id: d.id, status: 'SUCCEEDED', attemptCount: 1 }]);
    expect(await h.deps.db.event.count()).toBe(events);
  });
});

describe('idempotent publish', () => {
  it('the same key returns the first event and creates nothing new', async () => {
    const { receiver } = await setup(['once.only']);
    const first = await publish('once.only', { n: 1 }, 'order-42-shipped');
    const again = await publish('once.only', { n: 2 }, 'order-42-shipped');
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, deliveryCount: 1, event: { id: first.event.id, data: { n: 1 } } });
    const db = h.deps.db;
    expect(await db.event.count({ where: { projectId: project.projectId, idempotencyKey: 'order-42-shipped' } })).toBe(1);
    expect(await db.delivery.count({ where: { eventId: first.event.id } })).toBe(1);
    expect((await settled(first.event.id, 'SUCCEEDED')).attemptCount).toBe(1);

    const racing = await Promise.all([1, 2, 3].map(() => publish('once.only', {}, 'racing-key')));
    expect(new Set(racing.map((r) => r.event.id)).size).toBe(1);
    expect(racing.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await db.event.count({ where: { projectId: project.projectId, idempotencyKey: 'racing-key' } })).toBe(1);
    expect(await db.delivery.count({ where: { eventId: racing[0].event.id } })).toBe(1);
    expect((await settled(racing[0].event.id, 'SUCCEEDED')).attemptCount).toBe(1);
    expect(receiver.requests.map((r) => r.headers['webhook-id']).sort()).toEqual([first.event.id, racing[0].event.id].sort());
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
