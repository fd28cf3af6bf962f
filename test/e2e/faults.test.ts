import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, spawnWorker, startRedisServer, workerEnv } from '../support/processes.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const EVENTS = 300;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** A receiver that answers after a short pause, so a few hundred deliveries take a few seconds. */
async function slowReceiver(): Promise<Receiver> {
  const receiver = await startReceiver();
  receiver.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 25));
  cleanups.push(() => receiver.close());
  return receiver;
}

async function publishMany(h: Harness, key: string, url: string): Promise<string[]> {
  await h.ok(CREATE_WEBHOOK, { input: { url, events: ['fault.*'], retryPolicy: { schedule: [0.2, 0.2, 0.5, 1, 1] } } }, key);
  const ids: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    ids.push((await h.ok(PUBLISH_EVENT, { input: { type: 'fault.test', data: { i } } }, key)).publishEvent.event.id);
  }
  return ids;
}

/** Every event reached the receiver at least once, and Postgres agrees. */
async function expectAllDelivered(h: Harness, receiver: Receiver, eventIds: string[]) {
  const unique = () => new Set(receiver.requests.map((r) => r.headers['webhook-id']));
  await waitUntil(() => unique().size >= eventIds.length, 90_000, `all ${eventIds.length} events at the receiver`);
  expect([...unique()].sort()).toEqual([...eventIds].sort());
  await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })) === eventIds.length, 30_000, 'every delivery SUCCEEDED');
  expect(await h.deps.db.delivery.count({ where: { status: { not: 'SUCCEEDED' } } })).toBe(0);
}

/** A deployment on a private redis-server, its events all accepted and a quarter of them delivered. */
async function midRunOnPrivateRedis(project: string) {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const h = await startHarness({ REDIS_URL: redis.url, HOOKPOST_RECONCILE_INTERVAL_MS: '500', HOOKPOST_WORKER_CONCURRENCY: '5' });
  cleanups.push(() => h.close());
  const receiver = await slowReceiver();
  const { key } = await h.createProject(project);
  const eventIds = await publishMany(h, key, receiver.url);
  h.startWorker();
  await receiver.waitFor(EVENTS / 4, 60_000);
  return { redis, h, receiver, key, eventIds };
}

describe('nothing accepted is lost', () => {
  it('survives a worker killed with SIGKILL mid-run and restarted', async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    const receiver = await slowReceiver();
    const { key } = await h.createProject('Kill');
    const env = workerEnv(h.config, {
      HOOKPOST_WORKER_CONCURRENCY: '5',
      HOOKPOST_JOB_LOCK_MS: '1000',
      HOOKPOST_RECONCILE_INTERVAL_MS: '1000',
    });
    // Everything is accepted (and queued) before any worker runs, so the kill lands mid-run.
    const eventIds = await publishMany(h, key, receiver.url);
    const first = spawnWorker(env);
    cleanups.push(async () => first.kill('SIGKILL'));

    await receiver.waitFor(EVENTS / 4, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const seenAtKill = receiver.requests.length;
    expect(seenAtKill).toBeLessThan(EVENTS);

    const second = spawnWorker(env);
    cleanups.push(async () => {
      second.kill('SIGTERM');
      await exited(second);
    });
    await expectAllDelivered(h, receiver, eventIds);
    // No attempt was logged twice: attempt numbers per delivery are unique by construction.
    const attempts = await h.deps.db.deliveryAttempt.count();
    expect(attempts).toBeGreaterThanOrEqual(EVENTS);
  }, 150_000);

  it('survives Redis losing everything (FLUSHALL) while the worker keeps going', async () => {
    const { redis, h, receiver, eventIds } = await midRunOnPrivateRedis('Flush');
    const admin = new Redis(redis.url);
    await admin.flushall();
    expect(await admin.dbsize()).toBeLessThan(5);
    admin.disconnect();
    expect(receiver.requests.length).toBeLessThan(EVENTS);

    await expectAllDelivered(h, receiver, eventIds);
  }, 150_000);

  it('survives a Redis restart: the worker reconnects and events published while Redis is down are kept', async () => {
    const { redis, h, receiver, key, eventIds } = await midRunOnPrivateRedis('Restart');
    const restarted = redis.restart(1500);
    // Accepted while Redis is down: committed to Postgres, queued once Redis is back.
    await new Promise((r) => setTimeout(r, 300));
    const during = await h.ok(PUBLISH_EVENT, { input: { type: 'fault.during', data: {} } }, key);
    eventIds.push(during.publishEvent.event.id);
    await restarted;
    expect(receiver.requests.length).toBeLessThan(EVENTS);

    await expectAllDelivered(h, receiver, eventIds);
  }, 150_000);

  it('SIGTERM stops taking jobs, finishes the ones in flight, and records each attempt once', async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    receiver.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 700));
    const { key } = await h.createProject('Drain');
    await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['drain.*'] } }, key);
    for (let i = 0; i < 20; i++) await h.ok(PUBLISH_EVENT, { input: { type: 'drain.me', data: { i } } }, key);
    const env = workerEnv(h.config, { HOOKPOST_WORKER_CONCURRENCY: '3' });
    const worker = spawnWorker(env);
    cleanups.push(async () => worker.kill('SIGKILL'));
    await receiver.waitFor(1, 20_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);

    const inFlight = receiver.requests.length;
    expect(inFlight).toBeGreaterThan(0);
    expect(inFlight).toBeLessThan(20);
    // Every request that went out was answered and logged exactly once before the worker left.
    expect(await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })).toBe(inFlight);
    expect(await h.deps.db.deliveryAttempt.count()).toBe(inFlight);
    expect(await h.deps.db.delivery.count({ where: { status: 'PENDING', attemptCount: 0 } })).toBe(20 - inFlight);

    receiver.respondWith((_req, res) => res.writeHead(200).end('ok'));
    const next = spawnWorker(env);
    cleanups.push(async () => {
      next.kill('SIGTERM');
      await exited(next);
    });
    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: 'SUCCEEDED' } })) === 20, 30_000, 'the rest delivered');
    expect(await h.deps.db.deliveryAttempt.count()).toBe(20);
  }, 60_000);
});
