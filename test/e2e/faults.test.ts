import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { connectionRefused, exited, spawnWorker, startRedisServer, workerEnv } from '../support/processes.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const EVENTS = 300;

async function harness(overrides: Record<string, string> = {}): Promise<Harness> {
  const h = await startHarness(overrides);
  onTestFinished(() => h.close());
  return h;
}

async function receiver(respondAfterMs: number): Promise<Receiver> {
  const r = await startReceiver();
  r.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), respondAfterMs));
  onTestFinished(() => r.close());
  return r;
}

/** A child worker, stopped after the test (SIGKILL if it outlives its test). */
function worker(h: Harness, extra: Record<string, string>) {
  const child = spawnWorker(workerEnv(h.config, extra));
  onTestFinished(async () => {
    child.kill('SIGKILL');
    await exited(child);
  });
  return child;
}

async function publishMany(h: Harness, key: string, url: string): Promise<string[]> {
  await h.ok(CREATE_WEBHOOK, { input: { url, events: ['fault.*'], retryPolicy: { schedule: [0.2, 0.2, 0.5, 1, 1] } } }, key);
  const ids: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    ids.push((await h.ok(PUBLISH_EVENT, { input: { type: 'fault.test', data: { i } } }, key)).publishEvent.event.id);
  }
  return ids;
}

/**
 * Every event reached the receiver, every delivery SUCCEEDED, and each delivery's attempt log is
 * exactly its attemptCount rows numbered 1..n: no attempt logged twice, none lost.
 */
async function expectAllDeliveredOnce(h: Harness, receiver: Receiver, eventIds: string[]) {
  const unique = () => new Set(receiver.requests.map((r) => r.headers['webhook-id']));
  await waitUntil(() => unique().size >= eventIds.length, 90_000, `all ${eventIds.length} events at the receiver`);
  expect([...unique()].sort()).toEqual([...eventIds].sort());
  await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })) === eventIds.length, 30_000, 'every delivery SUCCEEDED');
  expect(await h.deps.db.delivery.count({ where: { status: { not: 'SUCCEEDED' } } })).toBe(0);

  const deliveries = await h.deps.db.delivery.findMany({
    select: { id: true, attemptCount: true, attempts: { select: { attemptNumber: true }, orderBy: { attemptNumber: 'asc' } } },
  });
  expect(deliveries).toHaveLength(eventIds.length);
  const misLogged = deliveries
    .map((d) => ({ id: d.id, attemptCount: d.attemptCount, numbers: d.attempts.map((a) => a.attemptNumber) }))
    .filter((d) => d.numbers.length !== d.attemptCount || d.numbers.some((n, i) => n !== i + 1));
  expect(misLogged).toEqual([]);
  // Every logged attempt is a request the receiver got (a request may go unlogged when its worker dies).
  expect(deliveries.reduce((sum, d) => sum + d.attemptCount, 0)).toBeLessThanOrEqual(receiver.requests.length);
}

/** A deployment on a private redis-server, its events all accepted and a quarter of them delivered. */
async function midRunOnPrivateRedis(project: string) {
  const redis = await startRedisServer();
  onTestFinished(() => redis.stop());
  const h = await harness({ REDIS_URL: redis.url, HOOKPOST_POLL_INTERVAL_MS: '500', HOOKPOST_WORKER_CONCURRENCY: '5' });
  const r = await receiver(25);
  const { key } = await h.createProject(project);
  const eventIds = await publishMany(h, key, r.url);
  h.startWorker();
  await r.waitFor(EVENTS / 4, 60_000);
  return { redis, h, receiver: r, key, eventIds };
}

describe('nothing accepted is lost', () => {
  it('survives a worker killed with SIGKILL mid-run and restarted, and logs no attempt twice', async () => {
    const h = await harness();
    const r = await receiver(25);
    const { key } = await h.createProject('Kill');
    const env = { HOOKPOST_WORKER_CONCURRENCY: '5', HOOKPOST_LEASE_MS: '1000', HOOKPOST_POLL_INTERVAL_MS: '1000' };
    // Everything is accepted (and queued) before any worker runs, so the kill lands mid-run.
    const eventIds = await publishMany(h, key, r.url);
    const first = worker(h, env);

    await r.waitFor(EVENTS / 4, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    expect(r.requests.length).toBeLessThan(EVENTS);

    worker(h, env);
    await expectAllDeliveredOnce(h, r, eventIds);
  }, 150_000);

  it('survives Redis losing everything (FLUSHALL) while the worker keeps going', async () => {
    const { redis, h, receiver: r, eventIds } = await midRunOnPrivateRedis('Flush');
    const admin = new Redis(redis.url);
    onTestFinished(() => admin.disconnect());
    await admin.flushall();
    expect(r.requests.length).toBeLessThan(EVENTS);

    await expectAllDeliveredOnce(h, r, eventIds);
  }, 150_000);

  it('survives a Redis restart: the worker reconnects and events published while Redis is down are kept', async () => {
    const { redis, h, receiver: r, key, eventIds } = await midRunOnPrivateRedis('Restart');
    await redis.restart(async () => {
      expect(r.requests.length).toBeLessThan(EVENTS);
      // The whole publish happens while nothing listens on Redis's port: committed to Postgres,
      // queued once Redis is back.
      expect(await connectionRefused(redis.port), 'Redis down before the publish').toBe(true);
      // Each publish waits for its own enqueue to time out, but the next one's insert does not
      // wait for it: three go in one after another while the first is still unanswered.
      let firstAnswered = false;
      const publishes: Promise<any>[] = [];
      for (let n = 1; n <= 3; n++) {
        publishes.push(h.ok(PUBLISH_EVENT, { input: { type: 'fault.during', data: { n } } }, key));
        if (n === 1) void publishes[0].then(() => (firstAnswered = true));
        await waitUntil(async () => (await h.deps.db.event.count({ where: { type: 'fault.during' } })) === n, 10_000, `publish ${n} committed`);
      }
      expect(firstAnswered, 'the first publish answered before the third was committed').toBe(false);
      const during = await Promise.all(publishes);
      expect(await connectionRefused(redis.port), 'Redis still down after the publishes').toBe(true);
      eventIds.push(...during.map((d) => d.publishEvent.event.id));
    });

    await expectAllDeliveredOnce(h, r, eventIds);
  }, 150_000);

  it('SIGTERM stops taking jobs, finishes the ones in flight, and records each attempt once', async () => {
    const CONCURRENCY = 3;
    const h = await harness();
    const r = await receiver(700);
    const { key } = await h.createProject('Drain');
    await h.ok(CREATE_WEBHOOK, { input: { url: r.url, events: ['drain.*'] } }, key);
    for (let i = 0; i < 20; i++) await h.ok(PUBLISH_EVENT, { input: { type: 'drain.me', data: { i } } }, key);
    const env = { HOOKPOST_WORKER_CONCURRENCY: String(CONCURRENCY) };
    const draining = worker(h, env);
    await r.waitFor(1, 20_000);
    const atSignal = r.requests.length;
    draining.kill('SIGTERM');
    expect(await exited(draining)).toBe(0);

    // Only jobs already taken may still reach the receiver: at most one per slot.
    const sent = r.requests.length;
    expect(sent - atSignal).toBeLessThanOrEqual(CONCURRENCY);
    expect(sent).toBeLessThan(20);
    // Every request that went out was answered and logged exactly once before the worker left.
    expect(await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED', attemptCount: 1 } })).toBe(sent);
    expect(await h.deps.db.deliveryAttempt.count()).toBe(sent);
    expect(await h.deps.db.delivery.count({ where: { status: 'PENDING', attemptCount: 0 } })).toBe(20 - sent);

    r.respondWith((_req, res) => res.writeHead(200).end('ok'));
    worker(h, env);
    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })) === 20, 30_000, 'the rest delivered');
    expect(await h.deps.db.deliveryAttempt.count()).toBe(20);
    expect(r.requests).toHaveLength(20);
  }, 60_000);
});
