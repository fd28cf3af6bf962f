// "Disabled: held" and "OPEN: held (no attempts spent)" hold for a worker in another process: the
// change is made through the API (or as another worker makes it, on the webhook row), and the
// worker that sends learns of it from Postgres alone.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Harness, startHarness } from '../support/harness.ts';
import { parseMetrics, sampleValue } from '../support/metricsText.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { exited, freePort, spawnWorker, workerEnv } from '../support/processes.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const UPDATE = /* GraphQL */ `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { id active } } }`;

let h: Harness;
let key: string;
let metricsUrl: string;

beforeAll(async () => {
  h = await startHarness({ HOOKPOST_CIRCUIT_FAILURES: '3' });
  ({ key } = await h.createProject('Held'));
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const worker = spawnWorker(workerEnv(h.config, { HOOKPOST_WORKER_METRICS_PORT: String(port), HOST: '127.0.0.1', HOOKPOST_POLL_INTERVAL_MS: '200' }));
  afterAll(async () => {
    worker.kill('SIGTERM');
    await exited(worker);
  });
  await waitUntil(
    () =>
      fetch(metricsUrl).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    'the worker process',
  );
}, 90_000);
afterAll(() => h?.close());

/** Looks at the schedule the worker process has taken so far. */
const looks = async () => sampleValue(parseMetrics(await (await fetch(metricsUrl)).text()), 'hookpost_sweeps_total') ?? 0;

/** Resolves once the worker process has read the schedule twice more: it has seen what is due now. */
async function workerHasLooked(): Promise<void> {
  const before = await looks();
  await waitUntil(async () => (await looks()) >= before + 2, 10_000, 'two more looks at the schedule');
}

async function webhookTo(receiver: Receiver, type: string): Promise<string> {
  const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: [type] } }, key);
  return createWebhook.webhook.id;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  onTestFinished(() => r.close());
  return r;
}

const attemptsOf = (webhookId: string) => h.deps.db.deliveryAttempt.count({ where: { delivery: { webhookId } } });

describe('held deliveries, with the worker in another process', () => {
  it('a disabled webhook sends none of its open deliveries, spends no attempt, and sends them once enabled', async () => {
    const r = await receiver();
    let hold: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (hold = resolve));
    // The first request is held open, so the others are open (due, one at a time) when it is disabled.
    r.respondWith((req, res) => {
      if (JSON.parse(req.body).data.n === 0) void held.then(() => res.writeHead(200).end('ok'));
      else res.writeHead(200).end('ok');
    });
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: r.url, events: ['held.disabled'], maxConcurrency: 1 } }, key);
    const webhookId = createWebhook.webhook.id;
    for (let n = 0; n < 4; n++) await h.ok(PUBLISH_EVENT, { input: { type: 'held.disabled', data: { n } } }, key);
    await r.waitFor(1);
    await h.ok(UPDATE, { input: { id: webhookId, active: false } }, key);
    hold!();
    await waitUntil(async () => (await attemptsOf(webhookId)) === 1, 10_000, 'the first attempt recorded');
    await workerHasLooked();
    expect(r.requests).toHaveLength(1);
    expect(await attemptsOf(webhookId)).toBe(1);
    await h.ok(UPDATE, { input: { id: webhookId, active: true } }, key);
    await r.waitFor(4);
    expect(r.requests.map((q) => JSON.parse(q.body).data.n)).toEqual([0, 1, 2, 3]);
  }, 60_000);

  it('an open circuit sends nothing until its probe, one probe, then the rest once it closes', async () => {
    const r = await receiver();
    const webhookId = await webhookTo(r, 'held.circuit');
    // Opened as another worker opens it: on the row, after its failures, with a cool-down still running.
    await h.deps.sql.query(
      `UPDATE webhooks SET circuit_state = 'OPEN', consecutive_failures = 3, circuit_opened_at = now()::timestamp, circuit_cooldown_seconds = 2,
              circuit_next_probe_at = now()::timestamp + interval '2 seconds' WHERE id = $1`,
      [webhookId],
    );
    const openedAt = Date.now();
    for (let n = 0; n < 4; n++) await h.ok(PUBLISH_EVENT, { input: { type: 'held.circuit', data: { n } } }, key);
    await workerHasLooked();
    expect(r.requests).toHaveLength(0);
    expect(await attemptsOf(webhookId)).toBe(0);
    await r.waitFor(4, 20_000);
    const [probe, ...rest] = r.requests;
    expect(probe.receivedAt - openedAt).toBeGreaterThanOrEqual(1900);
    // The others go only once the probe's success closed the circuit.
    const closedAt = (
      await h.deps.db.deliveryAttempt.findFirstOrThrow({ where: { delivery: { webhookId } }, orderBy: { createdAt: 'asc' } })
    ).createdAt.getTime();
    for (const q of rest) expect(q.receivedAt).toBeGreaterThanOrEqual(closedAt);
    // Attempts are recorded in batches just after their answers.
    await waitUntil(async () => (await attemptsOf(webhookId)) === 4, 10_000, 'the four attempts recorded');
    const { rows } = await h.deps.sql.query('SELECT circuit_state FROM webhooks WHERE id = $1', [webhookId]);
    expect(rows[0].circuit_state).toBe('CLOSED');
  }, 60_000);
});
