import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { carriedRenewAt } from '../../src/core/queue/carriedClaim.ts';
import { DELIVERY_QUEUE_NAME, type DeliveryJobData } from '../../src/core/queue/deliveryQueue.ts';
import { createRedis } from '../../src/core/redis.ts';
import { carriedDeliveries, releaseCarried } from '../../worker/stages/carried.ts';
import { claimDeliveries, renewLeases } from '../../worker/stages/claim.ts';
import { HeldLeases } from '../../worker/heldLeases.ts';
import { createPreparedPool } from '../../src/core/db/sql.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { startTcpProxy } from '../support/tcpProxy.ts';
import { waitUntil } from '../support/wait.ts';

/** The jobs waiting in the harness's delivery queue (no worker runs). */
async function waitingJobs(h: Harness) {
  const queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE_NAME, { connection: createRedis(h.config.redisUrl, h.deps.logger), prefix: h.config.redisPrefix });
  onTestFinished(() => queue.close());
  return queue.getJobs(['wait']);
}

async function leaseOf(h: Harness, deliveryId: string): Promise<Date | null> {
  const { rows } = await h.deps.sql.query<{ lease_until: Date | null }>('SELECT lease_until FROM deliveries WHERE id = $1', [deliveryId]);
  return rows[0].lease_until;
}

/** Counts the statements of this name run on the hot-path pool from now on. */
function countStatements(h: Harness, name: string): () => number {
  let count = 0;
  const pool = h.deps.preparedSql;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if ((args[0] as { name?: string })?.name === name) count++;
    return query(...args);
  };
  return () => count;
}
const countClaims = (h: Harness) => countStatements(h, 'hookpost.claim');

async function setUp(env: Record<string, string> = {}, webhook: Record<string, unknown> = {}) {
  const h = await startHarness(env);
  onTestFinished(() => h.close());
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());
  const { key } = await h.createProject('Carried claims');
  const created = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['order.*'], ...webhook } }, key);
  const publish = async (n: number) => (await h.ok(PUBLISH_EVENT, { input: { type: 'order.shipped', data: { n } } }, key)).publishEvent.event.id as string;
  return { h, receiver, key, webhookId: created.createWebhook.webhook.id as string, publish };
}

describe('deliveries claimed at publish', () => {
  it('a small publish leases its deliveries, and its job carries exactly what a claim returns', async () => {
    const { h, key, webhookId, publish } = await setUp(
      {},
      { headers: { 'x-tenant': 'acme', authorization: 'Bearer s3cret' }, sensitiveHeaders: ['authorization'], timeoutSeconds: 7 },
    );
    // A rotated secret still signing: its expiry is a timestamp the job must carry to the millisecond.
    await h.ok(`mutation($id: ID!) { rotateWebhookSecret(input: { id: $id, gracePeriodSeconds: 3600 }) { secret } }`, { id: webhookId }, key);
    const eventId = await publish(1);

    const [job] = await waitingJobs(h);
    const { carried, deliveries: refs } = job.data;
    expect(carried).toBeDefined();
    const [deliveryId] = refs[0];
    expect(carried!.deliveries).toEqual({ [deliveryId]: eventId });
    expect((await leaseOf(h, deliveryId))?.getTime()).toBe(carried!.leaseUntilMs);
    expect(carried!.leaseMs).toBe(5000);

    const sent = carriedDeliveries(carried, refs);
    expect(sent).toHaveLength(1);
    expect(sent[0].webhook.previousSecretExpiresAt).toBeInstanceOf(Date);
    // Given back, the delivery is claimable at once, and the claim returns the same delivery.
    await releaseCarried(h.deps.preparedSql, carried!, [deliveryId]);
    expect(await leaseOf(h, deliveryId)).toBeNull();
    const claimed = await claimDeliveries(h.deps.preparedSql, refs, h.config.delivery.jobLockMs);
    expect(sent).toStrictEqual(claimed);
    // A lease some claim has taken since is not the carried one: giving that back changes nothing.
    await releaseCarried(h.deps.preparedSql, carried!, [deliveryId]);
    expect(await leaseOf(h, deliveryId)).not.toBeNull();
  });

  it('a young job sends its carried deliveries without claiming them, and renews the lease of one still held', async () => {
    const { h, receiver, publish } = await setUp();
    const claims = countClaims(h);
    let answer = () => {};
    receiver.respondWith((_req, res) => (answer = () => res.writeHead(200).end('ok')));
    h.startWorker();
    await publish(1);
    await receiver.waitFor(1);
    // Leased at publish for seconds; still unanswered with 60 % of that left, it is renewed to a
    // job lock's length.
    const renewed = Date.now() + h.config.delivery.jobLockMs / 2;
    await waitUntil(
      async () => {
        const { rows } = await h.deps.sql.query<{ lease_until: Date }>('SELECT lease_until FROM deliveries');
        return rows[0].lease_until.getTime() > renewed;
      },
      5000,
      'the lease to be renewed',
    );
    answer();
    await waitUntil(
      async () => (await h.deps.sql.query(`SELECT 1 FROM deliveries WHERE status = 'SUCCEEDED' AND lease_until IS NULL`)).rowCount === 1,
      5000,
      'the attempt to be recorded',
    );
    expect(claims()).toBe(0);
  });

  it('a carried delivery recorded before its renewal time is never renewed', async () => {
    const { h, receiver, publish } = await setUp();
    const renewals = countStatements(h, 'hookpost.renewLeases');
    // Held for a while (longer than a batch of renewals waits for company), but not for seconds.
    receiver.respondWith((_req, res) => void setTimeout(() => res.writeHead(200).end('ok'), 200));
    await publish(1);
    const [job] = await waitingJobs(h);
    h.startWorker();
    await receiver.waitFor(1);
    await waitUntil(
      async () => (await h.deps.sql.query(`SELECT 1 FROM deliveries WHERE status = 'SUCCEEDED' AND lease_until IS NULL`)).rowCount === 1,
      5000,
      'the attempt to be recorded',
    );
    // Past the time its renewal was due, had it still been held.
    const renewAt = carriedRenewAt(job.data.carried!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, renewAt - Date.now()) + 300));
    expect(renewals()).toBe(0);
  });

  it('a job left in the queue past half its lease gives the lease back and is claimed at once', async () => {
    const lockMs = 1500;
    const { h, receiver, publish } = await setUp({ HOOKPOST_JOB_LOCK_MS: String(lockMs) });
    const claims = countClaims(h);
    const published = Date.now();
    await publish(1);
    await new Promise((resolve) => setTimeout(resolve, lockMs * 0.6));
    h.startWorker();
    const [request] = await receiver.waitFor(1);
    // Left leased, its claim would have waited for the lease to end.
    expect(request.receivedAt - published).toBeLessThan(lockMs);
    expect(claims()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('a job taken after its publish lease ended is claimed without giving the lease back', async () => {
    const lockMs = 1000;
    const { h, receiver, publish } = await setUp({ HOOKPOST_JOB_LOCK_MS: String(lockMs) });
    const claims = countClaims(h);
    const releases = countStatements(h, 'hookpost.releaseCarried');
    await publish(1);
    await new Promise((resolve) => setTimeout(resolve, lockMs * 1.3));
    h.startWorker();
    await receiver.waitFor(1);
    // Its own job's claim, and the reconciler's start-up look may have given it a job of its own.
    expect(claims()).toBeGreaterThanOrEqual(1);
    expect(releases()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1);
  });

  it('an endpoint without room for a job gives its leases back: every delivery goes once, in turn, without waiting for a lease', async () => {
    const { h, receiver, publish } = await setUp({}, { maxConcurrency: 1 });
    receiver.respondWith((_req, res) => setTimeout(() => res.writeHead(200).end('ok'), 150));
    h.startWorker();
    // Each publish is its own batch and job: the endpoint takes two in hand, the rest are claimed as it answers.
    const events = [];
    for (let n = 0; n < 6; n++) events.push(await publish(n));
    const started = Date.now();
    const requests = await receiver.waitFor(6, 10_000);
    // Far sooner than the 30 s lease a delivery left leased would wait for.
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(new Set(requests.map((r) => JSON.parse(r.body).id))).toEqual(new Set(events));
    expect(receiver.requests).toHaveLength(6);
    await waitUntil(
      async () => (await h.deps.sql.query(`SELECT 1 FROM deliveries WHERE status = 'SUCCEEDED' AND attempt_count = 1 AND lease_until IS NULL`)).rowCount === 6,
      5000,
      'every attempt to be recorded',
    );
  });
  it('a lease taken at publish whose renewal fails is renewed as soon as Postgres answers again', async () => {
    const { h, publish } = await setUp();
    await publish(1);
    const [job] = await waitingJobs(h);
    const [deliveryId] = job.data.deliveries[0];
    const proxy = await startTcpProxy(5432);
    onTestFinished(() => proxy.cut().catch(() => {}));
    const url = new URL(h.config.databaseUrl);
    url.host = `127.0.0.1:${proxy.port}`;
    const sql = createPreparedPool(url.toString(), 1);
    onTestFinished(() => sql.end());
    const leases = new HeldLeases(sql, h.config.delivery.jobLockMs, h.deps.logger);
    onTestFinished(() => leases.close());
    await proxy.cut();
    leases.holdLeasedAtPublish([deliveryId], Date.now());
    await new Promise((resolve) => setTimeout(resolve, 600));
    const publishLease = await leaseOf(h, deliveryId);
    expect(publishLease!.getTime() - Date.now()).toBeLessThan(5000);
    await proxy.restore();
    // Renewed to a job lock's length, long before the next round of renewals a third of a lock away.
    await waitUntil(async () => (await leaseOf(h, deliveryId))!.getTime() - Date.now() > 20_000, 3000, 'the lease to be renewed');
  });
  it('renewing passes over a row being recorded instead of waiting for it (no deadlock with the recorder)', async () => {
    const { h, publish } = await setUp();
    await publish(1);
    const [job] = await waitingJobs(h);
    const [deliveryId] = job.data.deliveries[0];
    const recording = await h.deps.sql.connect();
    onTestFinished(() => recording.release());
    await recording.query('BEGIN');
    await recording.query('SELECT id FROM deliveries WHERE id = $1 FOR UPDATE', [deliveryId]);
    const started = Date.now();
    expect(await renewLeases(h.deps.preparedSql, [deliveryId], 30_000)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(500);
    await recording.query('COMMIT');
    expect(await renewLeases(h.deps.preparedSql, [deliveryId], 30_000)).toEqual([deliveryId]);
  });
});
