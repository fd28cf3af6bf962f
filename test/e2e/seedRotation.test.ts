// A secret rotation under a steady flow, as each seed's customer lives it: their receiver checks one
// secret in the branded header, exactly as their doc prints it, and switches to the new secret only
// when they get round to it. Not one delivery may fail before that; none may be lost after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_BRANDS, type SeedBrand } from '../fixtures/seedBrands.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ROTATE = `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id }) { secret } }`;
const FINISH = `mutation($id: ID!) { finishWebhookSecretRotation(input: { id: $id }) { webhook { previousSecretExpiresAt } } }`;
const FLOW_GAP_MS = 40;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
});
afterAll(() => h.close());

interface Customer {
  projectId: string;
  key: string;
  webhookId: string;
  receiver: Receiver;
  /** The one secret their receiver has. */
  secret: string;
  refusedAt: number[];
  published: number;
}

async function customerOf(seed: SeedBrand): Promise<Customer> {
  const { createProject } = await h.ok(
    `mutation($n: String!, $d: ProjectDeliveryInput) { createProject(input: { name: $n, delivery: $d }) { project { id } } }`,
    {
      n: seed.name,
      d: seed.delivery,
    },
  );
  const projectId = createProject.project.id;
  const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "rotation" }) { key } }`, { p: projectId });
  const receiver = await startReceiver();
  const c: Customer = { projectId, key: createApiKey.key, webhookId: '', receiver, secret: '', refusedAt: [], published: 0 };
  receiver.respondWith((req, res) => {
    if (seed.accepts(req, c.secret)) return res.writeHead(200).end('OK');
    c.refusedAt.push(req.receivedAt);
    res.writeHead(401).end('Invalid signature');
  });
  // Retries a fifth of a second apart, so that one failed in the instant of the switch comes back soon.
  const { createWebhook } = await h.ok(
    CREATE_WEBHOOK,
    { input: { url: receiver.url, events: ['rotation.*'], retryPolicy: { schedule: [0.2, 0.2, 0.2, 0.2, 0.2] } } },
    c.key,
  );
  c.webhookId = createWebhook.webhook.id;
  c.secret = createWebhook.secret;
  return c;
}

/** Publishes one event to every customer every FLOW_GAP_MS until stopped. */
function steadyFlow(customers: Customer[]) {
  let running = true;
  const done = (async () => {
    while (running) {
      await Promise.all(
        customers.map(async (c) => {
          await h.ok(PUBLISH_EVENT, { input: { type: 'rotation.tick', data: { n: c.published } } }, c.key);
          c.published++;
        }),
      );
      await new Promise((r) => setTimeout(r, FLOW_GAP_MS));
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a rotation every seed receiver survives', () => {
  it('fails no delivery before the customer switches, loses none after, and signs only with the new secret once finished', async () => {
    const customers = await Promise.all(SEED_BRANDS.map(customerOf));
    const stop = steadyFlow(customers);
    await pause(500);
    const newSecrets = await Promise.all(customers.map(async (c) => (await h.ok(ROTATE, { id: c.webhookId }, c.key)).rotateWebhookSecret.secret as string));
    // A second of deliveries in the grace period: the receivers still have only the old secret.
    await pause(1000);
    const switchedAt = Date.now();
    for (const [i, c] of customers.entries()) {
      c.secret = newSecrets[i];
      const { finishWebhookSecretRotation } = await h.ok(FINISH, { id: c.webhookId }, c.key);
      expect(finishWebhookSecretRotation.webhook.previousSecretExpiresAt).toBeNull();
    }
    const finishedAt = Date.now();
    await pause(1000);
    await stop();

    for (const [i, c] of customers.entries()) {
      const name = SEED_BRANDS[i].name;
      await waitUntil(
        async () => (await h.deps.db.delivery.count({ where: { projectId: c.projectId, status: 'SUCCEEDED' } })) === c.published,
        20_000,
        `${name}: all ${c.published} deliveries succeeded`,
      );
      expect(await h.deps.db.delivery.count({ where: { projectId: c.projectId } })).toBe(c.published);
      // Refused only in the instant of the switch (what was signed before the finish and arrived after it).
      expect(
        c.refusedAt.every((t) => t >= switchedAt && t <= finishedAt + 1000),
        `${name} refused at ${c.refusedAt.map((t) => t - switchedAt)}`,
      ).toBe(true);
      // The attempt log holds every request the receiver got.
      await waitUntil(
        async () => (await h.deps.db.deliveryAttempt.count({ where: { delivery: { projectId: c.projectId } } })) === c.receiver.requests.length,
        10_000,
        `${name}: every request logged`,
      );
      // From the finish on, the receiver with the new secret verifies everything.
      const lastSecond = c.receiver.requests.filter((r) => r.receivedAt > finishedAt + 1000);
      expect(lastSecond.every((r) => SEED_BRANDS[i].accepts(r, newSecrets[i]))).toBe(true);
      // A steady flow throughout (fewer on a loaded machine; a handful in each phase at least).
      expect(c.published).toBeGreaterThan(10);
      await c.receiver.close();
    }
  }, 90_000);
});
