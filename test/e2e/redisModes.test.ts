import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Cluster } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startOpsServer } from '../../worker/opsServer.ts';
import { checkReadiness } from '../../src/core/readiness.ts';
import { createRedis } from '../../src/core/redis.ts';
import { watchMemoryPolicy } from '../../src/core/redisMemoryPolicy.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { startRedisCluster } from '../support/redisCluster.ts';
import { startRedisSentinel } from '../support/redisSentinel.ts';
import { startConfiguredRedis } from '../support/redisServer.ts';
import { makeTlsFiles } from '../support/tlsCerts.ts';
import { waitUntil } from '../support/wait.ts';

const PUBLISH = `mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount results { event { id } } } }`;

async function publish(h: Harness, key: string, type: string, count: number, from = 0): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => ({ type, data: { n: from + i } }));
  const { publishEvents } = await h.ok(PUBLISH, { e: events }, key);
  return publishEvents.results.map((r: { event: { id: string } }) => r.event.id);
}

async function webhookTo(h: Harness, receiver: Receiver, events: string[]): Promise<{ key: string; webhookId: string }> {
  const { key } = await h.createProject('Redis modes');
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events } }, key);
  return { key, webhookId: createWebhook.webhook.id };
}

function received(receiver: Receiver): Set<string> {
  return new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])));
}

/** A logger whose warnings the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: { msg: string }[] } {
  const lines: { msg: string }[] = [];
  return { logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), lines };
}

describe('Redis in each managed shape', () => {
  it('delivers through a password-protected TLS Redis Cluster reached by one seed URL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-tls-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const tls = await makeTlsFiles(dir);
    const cluster = await startRedisCluster({ password: 'cluster-secret', tls });
    onTestFinished(() => cluster.stop());
    const seed = `rediss://:cluster-secret@127.0.0.1:${cluster.ports[0]}`;
    // A long poll interval: deliveries arriving within seconds were woken through the cluster.
    const h = await startHarness({
      REDIS_URL: seed,
      HOOKPOST_REDIS_MODE: 'cluster',
      HOOKPOST_REDIS_TLS_CA_FILE: tls.caFile,
      HOOKPOST_POLL_INTERVAL_MS: '60000',
    });
    onTestFinished(() => h.close());
    expect(h.config.redisPrefix).toMatch(/^\{hookpost-test-[0-9a-f]+\}$/);
    const redis = h.deps.redis as Cluster;
    await waitUntil(() => redis.status === 'ready', 10_000, 'the cluster client to be ready');
    // From one seed, the client found every master (over TLS, with the password).
    expect(
      redis
        .nodes('master')
        .map((n) => n.options.port)
        .sort(),
    ).toEqual([...cluster.ports].sort());

    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const { key } = await webhookTo(h, receiver, ['tls.*']);
    h.startWorker();
    // Two publishes of a few events each, so that each is one claim of the woken worker (a larger
    // backlog of one endpoint is partly left to the sweep, which this test keeps out of the way).
    const ids = await publish(h, key, 'tls.cluster', 5);
    await receiver.waitFor(5, 10_000);
    ids.push(...(await publish(h, key, 'tls.cluster', 5, 5)));
    await receiver.waitFor(10, 10_000);
    expect(received(receiver)).toEqual(new Set(ids));
    expect(receiver.requests).toHaveLength(10);

    const ready = await checkReadiness(h.deps);
    expect(ready).toMatchObject({ ok: true, failing: [], details: { redisMaxmemoryPolicy: { state: 'ok' } } });
    // Every master was asked, not one of them.
    const check = h.deps.redisMemoryPolicy();
    expect(check.state === 'ok' && Object.values(check.policies)).toEqual(['noeviction', 'noeviction', 'noeviction']);
  }, 60_000);

  it('delivers 1,000 events published across a Sentinel failover, each one exactly once', async () => {
    const sentinel = await startRedisSentinel();
    onTestFinished(() => sentinel.stop());
    const h = await startHarness({
      REDIS_URL: sentinel.url,
      HOOKPOST_REDIS_MODE: 'sentinel',
      HOOKPOST_REDIS_SENTINEL_MASTER: sentinel.master,
      HOOKPOST_REDIS_MASTER_PASSWORD: sentinel.masterPassword,
      HOOKPOST_POLL_INTERVAL_MS: '500',
    });
    onTestFinished(() => h.close());
    expect(h.config.redisPrefix).toMatch(/^hookpost-test-[0-9a-f]+$/);
    const firstMaster = await sentinel.masterPort();
    await waitUntil(() => h.deps.redisMemoryPolicy().state === 'ok', 10_000, 'the master to be checked');
    expect(Object.keys((h.deps.redisMemoryPolicy() as { policies: object }).policies)).toEqual([`127.0.0.1:${firstMaster}`]);

    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const { key, webhookId } = await webhookTo(h, receiver, ['failover.*']);
    h.startWorker();
    const started = Date.now();
    const ids: string[] = [];
    let failover: Promise<{ from: number; to: number; doneMs: number }> | undefined;
    let failoverDone: number | undefined;
    let duringFailover = 0;
    // A steady flow, a batch every 400 ms, so that the failover (a second or two) falls among batches.
    for (let batch = 0; batch < 10; batch++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + batch * 400 - Date.now())));
      if (batch === 5)
        failover = sentinel.failover().then((f) => {
          failoverDone = Date.now() - started;
          return { ...f, doneMs: failoverDone };
        });
      ids.push(...(await publish(h, key, 'failover.tick', 100, batch * 100)));
      if (batch >= 5 && failoverDone === undefined) duringFailover += 100;
    }
    const publishedMs = Date.now() - started;
    const { from, to, doneMs } = await (failover as Promise<{ from: number; to: number; doneMs: number }>);
    expect(from).toBe(firstMaster);
    expect(to).not.toBe(firstMaster);
    expect(new Set(ids).size).toBe(1000);

    await waitUntil(
      () => ids.every((id) => received(receiver).has(id)),
      45_000,
      () => `all 1000 events at the receiver (${received(receiver).size} so far)`,
    );
    const allReceivedMs = Date.now() - started;
    const succeeded = await waitUntil(
      async () => {
        const n = await h.deps.db.delivery.count({ where: { webhookId, status: 'SUCCEEDED' } });
        return n === 1000 ? n : 0;
      },
      15_000,
      'every delivery SUCCEEDED',
    );
    expect(succeeded).toBe(1000);
    // Each delivery has exactly one successful attempt: no delivery was sent and recorded twice.
    const successes = await h.deps.db.deliveryAttempt.groupBy({ by: ['deliveryId'], where: { succeeded: true, delivery: { webhookId } }, _count: true });
    expect(successes).toHaveLength(1000);
    expect(successes.every((s) => s._count === 1)).toBe(true);
    const duplicates = receiver.requests.length - received(receiver).size;
    console.info(
      `sentinel failover ${from} -> ${to}: 1000 events published in ${publishedMs} ms (${duringFailover} while failing over), ` +
        `sentinels agreed on the new master at ${doneMs} ms, ` +
        `all received at ${allReceivedMs} ms, ${duplicates} duplicate requests`,
    );

    // The process followed the failover: its connection, and the maxmemory check, are on the new master.
    await waitUntil(
      () => {
        const check = h.deps.redisMemoryPolicy();
        return check.state === 'ok' && `127.0.0.1:${to}` in check.policies;
      },
      10_000,
      () => `the check to reach the new master (${JSON.stringify(h.deps.redisMemoryPolicy())})`,
    );
    expect(await checkReadiness(h.deps)).toMatchObject({ ok: true, failing: [] });
  }, 90_000);

  it('reports an evicting maxmemory-policy in /readyz and the log, without failing readiness', async () => {
    const redis = await startConfiguredRedis(['--maxmemory-policy', 'allkeys-lru']);
    onTestFinished(() => redis.stop());
    const h = await startHarness({ REDIS_URL: redis.url });
    onTestFinished(() => h.close());
    await waitUntil(() => h.deps.redisMemoryPolicy().state !== 'pending', 10_000, 'the policy to be checked');
    const workerOps = await startOpsServer(h.deps, 0, '127.0.0.1');
    onTestFinished(() => workerOps.close());
    // The API's /readyz and a worker's say the same.
    const [res, fromWorker] = await Promise.all([fetch(`${h.url}/readyz`), fetch(`${workerOps.url}/readyz`)]);
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(await fromWorker.json()).toEqual(body);
    expect(body).toMatchObject({
      ok: true,
      failing: [],
      details: { redisMaxmemoryPolicy: { state: 'evicting', policies: { [`127.0.0.1:${redis.port}`]: 'allkeys-lru' } } },
    });
    expect(body.details.redisMaxmemoryPolicy.message).toMatch(/allkeys-lru on 127\.0\.0\.1:\d+: .*set it to noeviction/);

    const { logger, lines } = capturingLogger();
    const watch = watchMemoryPolicy(h.deps.redis, logger);
    onTestFinished(() => watch.stop());
    await waitUntil(() => lines.length > 0, 5000, 'a warning');
    expect(lines[0].msg).toMatch(/^REDIS MISCONFIGURED: maxmemory-policy is allkeys-lru/);
  }, 60_000);

  it('says it could not check when Redis refuses CONFIG, as managed services do', async () => {
    const redis = await startConfiguredRedis(['--rename-command', 'CONFIG', '']);
    onTestFinished(() => redis.stop());
    const { logger, lines } = capturingLogger();
    const client = createRedis({ url: redis.url, mode: 'single' }, logger);
    // Closed before the server goes (hooks run last-registered first), so quit gets its answer.
    onTestFinished(async () => {
      await client.quit();
    });
    const watch = watchMemoryPolicy(client, logger);
    onTestFinished(() => watch.stop());
    await waitUntil(() => watch.current().state !== 'pending', 10_000, 'the policy to be checked');
    expect(watch.current()).toMatchObject({ state: 'unknown', message: expect.stringMatching(/^could not check maxmemory-policy \(.*unknown command/) });
    expect(lines.map((l) => l.msg)).toEqual([watch.current().message]);
  }, 30_000);
});
