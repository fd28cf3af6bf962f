// Metrics and health endpoints of the API and the worker, after real traffic and with Postgres or
// Redis unreachable.
import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { createCoreDeps } from '../../src/core/deps.ts';
import { startOpsServer } from '../../worker/opsServer.ts';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';
import { testConfig } from '../support/env.ts';
import { startHarness } from '../support/harness.ts';
import { scrape, sampleValue } from '../support/metricsText.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, freePort, spawnWorker, startRedisServer, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { startTcpProxy } from '../support/tcpProxy.ts';
import { waitUntil } from '../support/wait.ts';

async function harness(overrides: Record<string, string> = {}) {
  const h = await startHarness(overrides);
  onTestFinished(() => h.close());
  return h;
}

async function receiver() {
  const r = await startReceiver();
  onTestFinished(() => r.close());
  return r;
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
}

describe('the API', () => {
  it('answers /healthz and /readyz, and counts GraphQL operations by name and outcome, the delivery backlog and the process', async () => {
    const h = await harness();
    const r = await receiver();
    const { key } = await h.createProject('Metrics');
    await h.ok(CREATE_WEBHOOK, { input: { url: r.url, events: ['m.*'] } }, key);
    for (let i = 0; i < 3; i++) await h.ok(PUBLISH_EVENT, { input: { type: 'm.x', data: { i } } }, key);
    expect((await h.gql('query Broken { nope }', {}, key)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await h.gql('query Missing { webhook(id: "whk_none") { id } }', {}, key)).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    expect(await getJson(`${h.url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
    expect(await getJson(`${h.url}/readyz`)).toMatchObject({ status: 200, body: { ok: true, checks: { postgres: 'ok', redis: 'ok' }, failing: [] } });
    const samples = await scrape(h.url);
    const ops = (operation: string, type: string, outcome: string) => sampleValue(samples, 'hookpost_graphql_operations_total', { operation, type, outcome });
    expect(ops('Publish', 'mutation', 'ok')).toBe(3);
    expect(ops('CreateWebhook', 'mutation', 'ok')).toBe(1);
    expect(ops('Broken', 'query', 'invalid')).toBe(1);
    expect(ops('Missing', 'query', 'error')).toBe(1);
    // No worker runs here: the three deliveries are due and wait.
    expect(sampleValue(samples, 'hookpost_deliveries_open', { state: 'due' })).toBe(3);
    expect(sampleValue(samples, 'hookpost_deliveries_open', { state: 'in_flight' })).toBe(0);
    expect(sampleValue(samples, 'hookpost_webhooks', { state: 'closed' })).toBe(1);
    expect(sampleValue(samples, 'hookpost_webhooks', { state: 'open' })).toBe(0);
    expect(sampleValue(samples, 'hookpost_oldest_due_delivery_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'hookpost_websocket_connections')).toBe(0);
    // A live dashboard's socket is counted while it is open.
    const socket = h.wsClient(key);
    const connected = new Promise<void>((resolve) => socket.on('connected', () => resolve()));
    await connected;
    expect(sampleValue(await scrape(h.url), 'hookpost_websocket_connections')).toBe(1);
    await socket.dispose();
    await waitUntil(async () => sampleValue(await scrape(h.url), 'hookpost_websocket_connections') === 0, 5000, 'the socket uncounted');
  });

  it('counts delivery attempts by outcome, their durations and SSRF blocks when the worker shares the process', async () => {
    const h = await harness();
    h.startWorker();
    const ok = await receiver();
    const failing = await receiver();
    failing.respondWith((_req, res) => res.writeHead(500).end('no'));
    const { key } = await h.createProject('Outcomes');
    const once = { retryPolicy: { schedule: [] } };
    await h.ok(CREATE_WEBHOOK, { input: { url: ok.url, events: ['o.*'] } }, key);
    await h.ok(CREATE_WEBHOOK, { input: { url: failing.url, events: ['o.*'], ...once } }, key);
    // A private address outside the allowed loopback networks: refused before any packet leaves.
    await h.ok(CREATE_WEBHOOK, { input: { url: 'http://10.0.0.1:9/x', events: ['o.*'], ...once } }, key);
    await h.ok(PUBLISH_EVENT, { input: { type: 'o.x', data: {} } }, key);
    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { status: { in: ['PENDING', 'RETRYING'] } } })) === 0, 15_000, 'settled');

    const samples = await scrape(h.url);
    const attempts = (outcome: string, failure: string) => sampleValue(samples, 'hookpost_delivery_attempts_total', { outcome, failure });
    expect(attempts('succeeded', 'none')).toBe(1);
    expect(attempts('failed', 'http')).toBe(1);
    expect(attempts('failed', 'ssrf_blocked')).toBe(1);
    expect(sampleValue(samples, 'hookpost_ssrf_blocked_total')).toBe(1);
    expect(sampleValue(samples, 'hookpost_delivery_attempt_duration_seconds_count', { outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(samples, 'hookpost_delivery_attempt_duration_seconds_count', { outcome: 'failed' })).toBe(2);
    expect(sampleValue(samples, 'hookpost_delivery_attempt_duration_seconds_bucket', { outcome: 'succeeded', le: '+Inf' })).toBe(1);
  });
});

describe('a worker process', () => {
  it('serves its own /healthz, /readyz and /metrics, and finds by its sweep the deliveries whose wake-up Redis lost', async () => {
    const h = await harness();
    const r = await receiver();
    const { key } = await h.createProject('Worker metrics');
    await h.ok(CREATE_WEBHOOK, { input: { url: r.url, events: ['w.*'] } }, key);
    await h.ok(PUBLISH_EVENT, { input: { type: 'w.x', data: {} } }, key);
    await h.ok(PUBLISH_EVENT, { input: { type: 'w.y', data: {} } }, key);
    // Redis loses the wake-ups; Postgres still has both deliveries, due.
    await h.deps.queue.obliterate();

    const port = await freePort();
    const child = spawnWorker(workerEnv(h.config, { HOOKPOST_WORKER_METRICS_PORT: String(port), HOST: '127.0.0.1' }));
    onTestFinished(async () => {
      child.kill('SIGTERM');
      await exited(child);
    });
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(
      () =>
        fetch(`${base}/healthz`).then(
          (res) => res.ok,
          () => false,
        ),
      60_000,
      'the worker answering /healthz',
    );
    await r.waitFor(2, 30_000);
    expect(await getJson(`${base}/readyz`)).toMatchObject({ status: 200, body: { ok: true } });
    const samples = await waitUntil(
      async () => {
        const s = await scrape(base);
        return sampleValue(s, 'hookpost_delivery_attempts_total', { outcome: 'succeeded' }) === 2 ? s : null;
      },
      10_000,
      'both attempts counted',
    );
    expect(sampleValue(samples, 'hookpost_sweeps_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'hookpost_claimed_deliveries_total')).toBe(2);
    expect(sampleValue(samples, 'hookpost_deliveries_taken_over_total')).toBe(0);
    expect(sampleValue(samples, 'hookpost_delivery_attempt_duration_seconds_count', { outcome: 'succeeded' })).toBe(2);
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
  }, 120_000);
});

describe('the worker ops server', () => {
  it('takes a free port, and says so, when its configured port is taken (several workers on one host)', async () => {
    const h = await harness();
    const port = await freePort();
    const first = await startOpsServer(h.deps, port, '127.0.0.1');
    onTestFinished(() => first.close());
    const warnings: unknown[] = [];
    const logger = Object.assign(Object.create(h.deps.logger), { warn: (obj: unknown) => warnings.push(obj) });
    const second = await startOpsServer({ ...h.deps, logger }, port, '127.0.0.1');
    onTestFinished(() => second.close());
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    expect(second.url).not.toBe(first.url);
    expect(warnings).toEqual([{ wanted: port, port: Number(new URL(second.url).port) }]);
    for (const url of [first.url, second.url]) expect(await getJson(`${url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
  });
});

describe('readiness', () => {
  it('fails with 503 naming Redis, then Postgres, while they do not answer, on the API and the worker alike', async () => {
    const redis = await startRedisServer();
    onTestFinished(() => redis.stop());
    const pgProxy = await startTcpProxy(5432);
    onTestFinished(() => pgProxy.cut());
    const database = await createTestDatabase();
    onTestFinished(() => dropTestDatabase(database));
    const config = testConfig(database, `hookpost-ready-${randomBytes(3).toString('hex')}`, {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgProxy.port}/${database}`,
      REDIS_URL: redis.url,
    });
    const deps = await createCoreDeps(config);
    onTestFinished(() => deps.close());
    const app = buildApp(deps);
    const api = await app.listen(0, '127.0.0.1');
    onTestFinished(() => app.close());
    const worker = await startOpsServer(deps, 0, '127.0.0.1');
    onTestFinished(() => worker.close());
    const readyz = async () => Promise.all([getJson(`${api}/readyz`), getJson(`${worker.url}/readyz`)]);
    const settlesTo = (status: number, failing: string[]) =>
      waitUntil(
        async () => {
          const both = await readyz();
          return both.every((r) => r.status === status && JSON.stringify(r.body.failing) === JSON.stringify(failing)) ? both : null;
        },
        15_000,
        `readyz ${status} ${failing.join(',')}`,
      );

    await settlesTo(200, []);
    await redis.stop();
    const [apiDown] = await settlesTo(503, ['redis']);
    expect(apiDown.body.checks.postgres).toBe('ok');
    expect(apiDown.body.checks.redis).not.toBe('ok');
    // Metrics still answer, the backlog too: it is Postgres's.
    const samples = await scrape(worker.url);
    expect(sampleValue(samples, 'hookpost_deliveries_open', { state: 'due' })).toBe(0);
    expect((await getJson(`${api}/healthz`)).status).toBe(200);

    await redis.restart(async () => {});
    await settlesTo(200, []);
    await pgProxy.cut();
    const [, workerDown] = await settlesTo(503, ['postgres']);
    expect(workerDown.body.checks).toMatchObject({ redis: 'ok' });
    expect(workerDown.body.checks.postgres).not.toBe('ok');
    // Without Postgres the backlog is unknown: no value, and a lag that is not a reassuring 0.
    const blind = await scrape(worker.url);
    expect(sampleValue(blind, 'hookpost_deliveries_open', { state: 'due' })).toBeUndefined();
    expect(sampleValue(blind, 'hookpost_oldest_due_delivery_age_seconds')).toBeNaN();
    await pgProxy.restore();
    await settlesTo(200, []);
  }, 60_000);
});
