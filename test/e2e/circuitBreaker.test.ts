import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { exited, spawnWorker, workerEnv } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

const FAILURES = 3;
const COOLDOWN_SECONDS = 1.5;

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }
`;

const CIRCUIT = `query($id: ID!) { webhook(id: $id) { active consecutiveFailures circuit { state openedAt nextProbeAt } } }`;

interface Change {
  id: string;
  active: boolean;
  circuit: { state: string; openedAt: string | null; nextProbeAt: string | null };
}

describe('circuit breaker', () => {
  it('opens after N failures, holds without spending attempts, probes once per cool-down (doubling), and closes on success', async () => {
    const h = await startHarness({
      HOOKPOST_CIRCUIT_FAILURES: String(FAILURES),
      HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
      HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS: '60',
      HOOKPOST_RETRY_SCHEDULE: Array(12).fill('0.1').join(','),
      // Auto-disable is the last resort; it has its own test below.
      HOOKPOST_DISABLE_AFTER_FAILURES: '100',
    });
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    let failing = true;
    receiver.respondWith((_req, res) => res.writeHead(failing ? 503 : 200).end());
    const { projectId, key } = await h.createProject('Breaker');
    // One request at a time, so that nothing else is under way when the circuit opens.
    const created = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['cb.*'], maxConcurrency: 1 } }, key);
    const webhookId = created.createWebhook.webhook.id as string;
    const changes = wsSubscription<Change>(h.wsClient(key), `subscription { webhookStatusChanged { id active circuit { state openedAt nextProbeAt } } }`);
    await proveLive(h, changes, 'webhookStatusChanged', { webhookId: MARKER_IDS.webhookId, projectId, active: true });
    const states = () => changes.items.filter((c) => c.id === webhookId).map((c) => c.circuit);

    h.startWorker();
    const events = Array.from({ length: 6 }, (_, i) => ({ type: 'cb.tick', data: { i } }));
    expect((await h.ok(PUBLISH_MANY, { e: events }, key)).publishEvents.deliveryCount).toBe(6);

    // Opens after three failures; a failed probe reopens it for twice as long; then the receiver
    // recovers and the next probe closes it.
    await waitUntil(
      () => states().filter((s) => s.state === 'OPEN').length >= 2,
      20_000,
      () => `the circuit to reopen; seen ${JSON.stringify(states())}`,
    );
    failing = false;
    await waitUntil(
      () => states().some((s) => s.state === 'CLOSED'),
      20_000,
      () => `the circuit to close; seen ${JSON.stringify(states())}`,
    );
    expect(states().map((s) => s.state)).toEqual(['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']);
    const [opened, , reopened] = states();
    const cooldownMs = (s: Change['circuit']) => Date.parse(s.nextProbeAt!) - Date.parse(s.openedAt!);
    expect(cooldownMs(opened)).toBe(COOLDOWN_SECONDS * 1000);
    expect(cooldownMs(reopened)).toBe(2 * COOLDOWN_SECONDS * 1000);
    expect(states().at(-1)).toEqual({ state: 'CLOSED', openedAt: null, nextProbeAt: null });

    // Held deliveries flow again: every one succeeds.
    const rows = async () =>
      (
        await h.deps.sql.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY status`, [
          webhookId,
        ])
      ).rows;
    await waitUntil(async () => (await rows()).some((r) => r.status === 'SUCCEEDED' && r.n === 6), 15_000, 'every delivery to succeed');

    // The attempt rows show the holding: FAILURES failures, then nothing while open but one probe
    // per cool-down — the first failed, the second succeeded — then the held deliveries.
    const attempts = (
      await h.deps.sql.query<{ at: number; succeeded: boolean }>(
        // When each request was sent: an attempt is logged as of its answer.
        `SELECT (EXTRACT(EPOCH FROM created_at) * 1000)::float8 - duration_ms AS at, succeeded
           FROM delivery_attempts WHERE webhook_id = $1 ORDER BY created_at, id`,
        [webhookId],
      )
    ).rows;
    const between = (from: number, to: number) => attempts.filter((a) => a.at > from && a.at <= to);
    const t = (iso: string | null) => Date.parse(iso!);
    // Before it opened: failures only, at least the threshold (a few more may have been sent while
    // the one that reached it was being recorded, each delivery at most once). A request sent then
    // may be answered after the circuit opened: it counts by when it was sent.
    const before = between(0, t(opened.openedAt));
    expect(before.length).toBeGreaterThanOrEqual(FAILURES);
    expect(before.length).toBeLessThanOrEqual(6);
    expect(before.every((a) => !a.succeeded)).toBe(true);
    // Open: nothing. Then one probe, which failed and reopened it; open again: nothing.
    expect(between(t(opened.openedAt), t(opened.nextProbeAt))).toEqual([]);
    expect(between(t(opened.nextProbeAt), t(reopened.openedAt)).map((a) => a.succeeded)).toEqual([false]);
    expect(between(t(reopened.openedAt), t(reopened.nextProbeAt))).toEqual([]);
    // The second probe succeeded and the held deliveries followed: one success each, no other failure.
    expect(between(t(reopened.nextProbeAt), Infinity).map((a) => a.succeeded)).toEqual(Array(6).fill(true));
    expect(receiver.requests).toHaveLength(attempts.length);

    const { webhook } = await h.ok(CIRCUIT, { id: webhookId }, key);
    expect(webhook).toEqual({ active: true, consecutiveFailures: 0, circuit: { state: 'CLOSED', openedAt: null, nextProbeAt: null } });
  }, 60_000);

  it('Webhook.circuit shows an open circuit; re-enabling a disabled webhook closes it', async () => {
    const h = await startHarness({ HOOKPOST_CIRCUIT_FAILURES: '2', HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '3600', HOOKPOST_DISABLE_AFTER_FAILURES: '3' });
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    receiver.respondWith((_req, res) => res.writeHead(500).end());
    const { key } = await h.createProject('Breaker read');
    const created = await h.ok(
      CREATE_WEBHOOK,
      { input: { url: receiver.url, events: ['cb.*'], maxConcurrency: 1, retryPolicy: { schedule: [0.1, 0.1, 0.1] } } },
      key,
    );
    const id = created.createWebhook.webhook.id as string;
    h.startWorker();
    await h.ok(PUBLISH_MANY, { e: [{ type: 'cb.a', data: {} }] }, key);
    const { webhook } = await waitUntil(async () => {
      const r = await h.ok(CIRCUIT, { id }, key);
      return r.webhook.circuit.state === 'OPEN' && r;
    });
    const openedAt = Date.parse(webhook.circuit.openedAt);
    expect(Date.parse(webhook.circuit.nextProbeAt) - openedAt).toBe(3600 * 1000);
    expect(receiver.requests).toHaveLength(2);
    // Held for an hour: a manual retry is held too, rather than hammering the endpoint.
    const deliveryId = (await h.deps.sql.query<{ id: string }>(`SELECT id FROM deliveries WHERE webhook_id = $1`, [id])).rows[0].id;
    await h.ok(`mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, { id: deliveryId }, key);
    // A witness delivery to another endpoint, made after the retry's job has had its turn.
    const witness = await startReceiver();
    onTestFinished(() => witness.close());
    await h.ok(CREATE_WEBHOOK, { input: { url: witness.url, events: ['w.*'] } }, key);
    await h.ok(PUBLISH_MANY, { e: [{ type: 'w.a', data: {} }] }, key);
    await witness.waitFor(1);
    expect(receiver.requests).toHaveLength(2);
    // The held delivery says why it is not sent at its nextAttemptAt, and until when.
    const HELD = `query($id: ID!) { delivery(id: $id) { status nextAttemptAt heldBy heldUntil } }`;
    const held = (await h.ok(HELD, { id: deliveryId }, key)).delivery;
    expect(held).toMatchObject({ heldBy: 'CIRCUIT_OPEN', heldUntil: webhook.circuit.nextProbeAt });
    expect(held.status).not.toBe('FAILED');

    await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }`, { id }, key);
    expect((await h.ok(HELD, { id: deliveryId }, key)).delivery).toMatchObject({ heldBy: 'WEBHOOK_DISABLED', heldUntil: null });
    const { updateWebhook } = await h.ok(
      `mutation($id: ID!) { updateWebhook(input: { id: $id, active: true }) { webhook { circuit { state openedAt nextProbeAt } } } }`,
      { id },
      key,
    );
    expect(updateWebhook.webhook.circuit).toEqual({ state: 'CLOSED', openedAt: null, nextProbeAt: null });
    expect((await h.ok(HELD, { id: deliveryId }, key)).delivery).toMatchObject({ heldBy: null, heldUntil: null });
  }, 30_000);

  it('auto-disable stays the last resort: only a failed probe at the threshold disables the webhook', async () => {
    const h = await startHarness({
      HOOKPOST_CIRCUIT_FAILURES: '2',
      HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '0.2',
      HOOKPOST_DISABLE_AFTER_FAILURES: '4',
      HOOKPOST_RETRY_SCHEDULE: Array(12).fill('0.05').join(','),
    });
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    receiver.respondWith((_req, res) => res.writeHead(500).end());
    const { key } = await h.createProject('Breaker, last resort');
    const created = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['cb.*'], maxConcurrency: 1 } }, key);
    const id = created.createWebhook.webhook.id as string;
    h.startWorker();
    await h.ok(PUBLISH_MANY, { e: [{ type: 'cb.a', data: {} }] }, key);
    const { webhook } = await waitUntil(async () => {
      const r = await h.ok(`query($id: ID!) { webhook(id: $id) { active disabledReason } }`, { id }, key);
      return !r.webhook.active && r;
    });
    // Two failures opened it, two failed probes (after 0.2 s, then 0.4 s) brought the streak to four.
    expect(webhook.disabledReason).toBe('Disabled after 4 consecutive failed attempts');
    expect(receiver.requests).toHaveLength(4);
  });

  it('with two worker processes: one probe per cool-down between them, and every held delivery delivered once on closing', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    let failing = true;
    receiver.respondWith((_req, res) => res.writeHead(failing ? 500 : 204).end());
    const { projectId, key } = await h.createProject('Breaker, two workers');
    // Retries and the disable threshold are the project's (the workers' environment does not decide them).
    await h.ok(`mutation($id: ID!) { updateProject(input: { id: $id, delivery: { disableAfterFailures: 100 } }) { project { id } } }`, { id: projectId });
    const MAX_CONCURRENCY = 2;
    const created = await h.ok(
      CREATE_WEBHOOK,
      { input: { url: receiver.url, events: ['cb.*'], maxConcurrency: MAX_CONCURRENCY, retryPolicy: { schedule: Array(12).fill(0.1) } } },
      key,
    );
    const webhookId = created.createWebhook.webhook.id as string;
    const changes = wsSubscription<Change>(h.wsClient(key), `subscription { webhookStatusChanged { id active circuit { state openedAt nextProbeAt } } }`);
    await proveLive(h, changes, 'webhookStatusChanged', { webhookId: MARKER_IDS.webhookId, projectId, active: true });
    const states = () => changes.items.filter((c) => c.id === webhookId).map((c) => c.circuit);
    const env = {
      HOOKPOST_CIRCUIT_FAILURES: String(FAILURES),
      HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '2',
    };
    const workers = [1, 2].map(() => spawnWorker(workerEnv(h.config, env)));
    for (const w of workers) {
      onTestFinished(async () => {
        w.kill('SIGKILL');
        await exited(w);
      });
    }
    const events = Array.from({ length: 20 }, (_, i) => ({ type: 'cb.tick', data: { i } }));
    await h.ok(PUBLISH_MANY, { e: events }, key);

    // Worker processes take a while to start on a loaded machine.
    const seen = () => `seen ${JSON.stringify(states())} after ${receiver.requests.length} requests`;
    await waitUntil(
      () => states().filter((s) => s.state === 'OPEN').length >= 2,
      60_000,
      () => `the circuit to reopen; ${seen()}`,
    );
    failing = false;
    await waitUntil(
      () => states().some((s) => s.state === 'CLOSED'),
      30_000,
      () => `the circuit to close; ${seen()}`,
    );
    expect(states().map((s) => s.state)).toEqual(['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']);
    const [opened, , reopened] = states();

    const succeeded = async () =>
      (await h.deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'SUCCEEDED'`, [webhookId])).rows[0]
        .n;
    await waitUntil(async () => (await succeeded()) === 20, 20_000, 'every held delivery to succeed');
    const attempts = (
      await h.deps.sql.query<{ at: number; succeeded: boolean }>(
        `SELECT (EXTRACT(EPOCH FROM created_at) * 1000)::float8 - duration_ms AS at, succeeded
           FROM delivery_attempts WHERE webhook_id = $1 ORDER BY created_at, id`,
        [webhookId],
      )
    ).rows;
    const t = (iso: string | null) => Date.parse(iso!);
    const between = (from: number, to: number) => attempts.filter((a) => a.at > from && a.at <= to).map((a) => a.succeeded);
    // In the first second after it opened, the other worker may still send what it had claimed
    // before it heard (at most the endpoint's cap, all failing); after that nothing until the
    // cool-down is over, then one probe for both, which failed...
    const firstSecond = between(t(opened.openedAt), t(opened.openedAt) + 1000);
    expect(firstSecond.length).toBeLessThanOrEqual(MAX_CONCURRENCY);
    expect(firstSecond.every((ok) => !ok)).toBe(true);
    expect(between(t(opened.openedAt) + 1000, t(opened.nextProbeAt))).toEqual([]);
    expect(between(t(opened.nextProbeAt), t(reopened.openedAt))).toEqual([false]);
    // ...nothing while reopened, then the successful probe and the held deliveries, once each.
    expect(between(t(reopened.openedAt), t(reopened.nextProbeAt))).toEqual([]);
    expect(between(t(reopened.nextProbeAt), Infinity)).toEqual(Array(20).fill(true));
    expect(new Set(receiver.requests.filter((r) => r.receivedAt > t(reopened.nextProbeAt)).map((r) => r.headers['webhook-id'])).size).toBe(20);
  }, 150_000);
});
