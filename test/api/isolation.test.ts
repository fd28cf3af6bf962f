import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { allRows, expectRefused, type Refusal } from '../support/isolation.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, sseSubscription, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let failing: Receiver;
let A: { projectId: string; key: string };
let B: { projectId: string; key: string };
let hookA: string;
let eventA: string;
let deliveryA: string;
let attemptA: string;
let keyIdA: string;
/** A token for tenant t1 of project A: everything above is project-wide, so NOT_FOUND to it. */
let tenantToken: string;
let tenantHook: string;
let tenantEvent: string;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.respondWith((_req, res) => res.writeHead(500).end('down'));
  A = await h.createProject('A');
  B = await h.createProject('B');
  hookA = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['*'], retryPolicy: { schedule: [] } } }, A.key)).createWebhook.webhook.id;
  eventA = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.setup', data: {} } }, A.key)).publishEvent.event.id;
  const delivery = await h.waitForDelivery({ eventId: eventA }, 'SUCCEEDED');
  deliveryA = delivery.id;
  attemptA = delivery.attempts.edges[0].node.id;
  keyIdA = (await h.deps.db.apiKey.findFirstOrThrow({ where: { projectId: A.projectId } })).id;
  tenantToken = (await h.ok(`mutation { createTenantToken(input: { tenantId: "t1" }) { token } }`, {}, A.key)).createTenantToken.token;
  tenantHook = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['*'], tenantId: 't1' } }, A.key)).createWebhook.webhook.id;
  tenantEvent = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.tenant', data: {}, tenantId: 't1' } }, A.key)).publishEvent.event.id;
  await h.waitForDelivery({ eventId: tenantEvent }, 'SUCCEEDED');
  // Project B has a row of every kind too, so that a list of A's that let one in would show it.
  await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['iso.setup'] } }, B.key);
  const eventB = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.setup', data: {} } }, B.key)).publishEvent.event.id;
  await h.waitForDelivery({ eventId: eventB }, 'SUCCEEDED');
});
afterAll(async () => {
  await h.close();
  await receiver.close();
  await failing.close();
});

type Who = 'own' | 'foreign' | 'admin' | 'none' | 'tenant';
type Expected = 'ok' | Refusal;
type Vars = Record<string, any>;
interface Operation {
  name: string;
  query: string;
  /** Fresh variables for each run (a mutation that deletes needs its own victim). */
  vars: () => Promise<Vars> | Vars;
  /** What an allowed caller gets: the expected objects of project A, checked in `data` and Postgres. */
  allowed: (data: any, vars: Vars) => Promise<void> | void;
  expect?: Partial<Record<Who, Expected>>;
  /** What the tenant token gets where it is allowed: its own tenant's objects, none of the project-wide ones. */
  asTenant?: (data: any, vars: Vars) => Promise<void> | void;
}

const db = () => h.deps.db;
const ids = (connection: { edges: { node: { id: string } }[] }) => connection.edges.map((e) => e.node.id);
/** The list holds exactly `rows` (as Postgres has them now), each once: none missing, none of another project. */
const exactly = async (connection: { edges: { node: { id: string } }[] }, rows: Promise<{ id: string }[]>) => {
  const expected = (await rows).map((r) => r.id).sort();
  expect(expected.length).toBeGreaterThan(0);
  expect([...ids(connection)].sort()).toEqual(expected);
};
const inA = () => ({ where: { projectId: A.projectId }, select: { id: true } });
const freshWebhook = async () =>
  (await h.ok(CREATE_WEBHOOK, { input: { projectId: A.projectId, url: receiver.url, events: ['x.y'] } })).createWebhook.webhook.id as string;
const freshKey = async () =>
  (await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "victim" }) { apiKey { id } } }`, { p: A.projectId })).createApiKey.apiKey
    .id as string;
/** A webhook of project A with one dead-lettered delivery. */
const failedWebhook = async () => {
  const w = (await h.ok(CREATE_WEBHOOK, { input: { projectId: A.projectId, url: failing.url, events: ['x.y'], retryPolicy: { schedule: [] } } })).createWebhook
    .webhook.id;
  await h.ok(`mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, { w });
  await h.waitForDelivery({ webhookId: w }, 'FAILED');
  return w as string;
};

const operations: Operation[] = [
  {
    name: 'project',
    query: `query($id: ID!) { project(id: $id) { id } }`,
    vars: () => ({ id: A.projectId }),
    allowed: (d) => expect(d.project.id).toBe(A.projectId),
    expect: { tenant: 'ok' },
  },
  {
    name: 'projects',
    query: `{ projects(first: 100) { edges { node { id } } } }`,
    vars: () => ({}),
    allowed: (d) => exactly(d.projects, db().project.findMany({ select: { id: true } })),
    expect: { own: 'FORBIDDEN', foreign: 'FORBIDDEN', tenant: 'FORBIDDEN' },
  },
  {
    name: 'webhooks',
    query: `query($p: ID) { webhooks(projectId: $p, first: 100) { edges { node { id } } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: (d) => exactly(d.webhooks, db().webhook.findMany(inA())),
    expect: { foreign: 'FORBIDDEN', tenant: 'ok' },
    asTenant: (d) => expect(ids(d.webhooks)).toEqual([tenantHook]),
  },
  {
    name: 'apiKeys',
    query: `query($p: ID) { apiKeys(projectId: $p, first: 100) { edges { node { id keyHint } } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: (d) => exactly(d.apiKeys, db().apiKey.findMany(inA())),
    expect: { foreign: 'FORBIDDEN', tenant: 'FORBIDDEN' },
  },
  {
    name: 'webhook',
    query: `query($id: ID!) { webhook(id: $id) { id url } }`,
    vars: () => ({ id: hookA }),
    allowed: (d) => expect(d.webhook).toEqual({ id: hookA, url: receiver.url }),
  },
  {
    name: 'events',
    query: `query($p: ID) { events(projectId: $p, first: 100) { edges { node { id data } } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: (d) => exactly(d.events, db().event.findMany(inA())),
    expect: { foreign: 'FORBIDDEN', tenant: 'ok' },
    asTenant: (d) => expect(ids(d.events)).toEqual([tenantEvent]),
  },
  {
    name: 'event',
    query: `query($id: ID!) { event(id: $id) { id data } }`,
    vars: () => ({ id: eventA }),
    allowed: (d) => expect(d.event).toEqual({ id: eventA, data: {} }),
  },
  {
    name: 'deliveries by webhook',
    query: `query($w: ID) { deliveries(webhookId: $w, first: 100) { edges { node { id } } } }`,
    vars: () => ({ w: hookA }),
    allowed: (d) => exactly(d.deliveries, db().delivery.findMany({ where: { webhookId: hookA }, select: { id: true } })),
  },
  {
    name: 'deliveries by event',
    query: `query($e: ID) { deliveries(eventId: $e) { edges { node { id } } } }`,
    vars: () => ({ e: eventA }),
    allowed: (d) => expect(ids(d.deliveries)).toEqual([deliveryA]),
  },
  {
    name: 'deliveries by project',
    query: `query($p: ID) { deliveries(projectId: $p, first: 100) { edges { node { id } } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: (d) => exactly(d.deliveries, db().delivery.findMany(inA())),
    expect: { foreign: 'FORBIDDEN', tenant: 'ok' },
    asTenant: async (d) =>
      expect(ids(d.deliveries)).toEqual((await db().delivery.findMany({ where: { tenantId: 't1' }, orderBy: { id: 'desc' } })).map((r) => r.id)),
  },
  {
    name: 'delivery',
    query: `query($id: ID!) { delivery(id: $id) { id attempts { edges { node { id responseBody } } } } }`,
    vars: () => ({ id: deliveryA }),
    allowed: (d) => {
      expect(d.delivery.id).toBe(deliveryA);
      expect(d.delivery.attempts.edges.map((e: any) => e.node)).toContainEqual({ id: attemptA, responseBody: 'ok' });
    },
  },
  ...(
    [
      ['node(webhook)', () => hookA],
      ['node(event)', () => eventA],
      ['node(delivery)', () => deliveryA],
      ['node(attempt)', () => attemptA],
      ['node(project)', () => A.projectId],
      ['node(api key)', () => keyIdA],
    ] as const
  ).map(
    ([name, id]): Operation => ({
      name,
      query: `query($id: ID!) { node(id: $id) { id } }`,
      vars: () => ({ id: id() }),
      allowed: (d) => expect(d.node).toEqual({ id: id() }),
      // The project itself is readable with a tenant token; API keys and project-wide objects are not.
      expect: { foreign: 'null', tenant: name === 'node(project)' ? 'ok' : 'null' },
    }),
  ),
  {
    name: 'nodes',
    query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
    vars: () => ({ ids: [hookA, eventA] }),
    allowed: (d) => expect(d.nodes).toEqual([{ id: hookA }, { id: eventA }]),
    expect: { foreign: 'null', tenant: 'null' },
  },
  {
    name: 'createWebhook',
    query: `mutation($p: ID) { createWebhook(input: { projectId: $p, url: "https://n.example", events: ["a.b"] }) { webhook { id } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: async (d) =>
      expect(await db().webhook.findUnique({ where: { id: d.createWebhook.webhook.id } })).toMatchObject({
        projectId: A.projectId,
        url: 'https://n.example',
        tenantId: null,
      }),
    expect: { foreign: 'FORBIDDEN', tenant: 'ok' },
    // A tenant token's webhook is its tenant's, though it did not say so.
    asTenant: async (d) =>
      expect(await db().webhook.findUnique({ where: { id: d.createWebhook.webhook.id } })).toMatchObject({ projectId: A.projectId, tenantId: 't1' }),
  },
  {
    name: 'updateWebhook',
    query: `mutation($id: ID!, $name: String) { updateWebhook(input: { id: $id, name: $name }) { webhook { id name } } }`,
    vars: () => ({ id: hookA, name: `renamed ${Date.now()}` }),
    allowed: async (d, v) => {
      expect(d.updateWebhook.webhook).toEqual({ id: hookA, name: v.name });
      expect((await db().webhook.findUniqueOrThrow({ where: { id: hookA } })).name).toBe(v.name);
    },
  },
  {
    name: 'rotateWebhookSecret',
    query: `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id, gracePeriodSeconds: 0 }) { secret webhook { id } } }`,
    vars: async () => ({ id: await freshWebhook() }),
    allowed: async (d, v) => {
      expect(d.rotateWebhookSecret.webhook.id).toBe(v.id);
      expect((await db().webhook.findUniqueOrThrow({ where: { id: v.id } })).secretHint).toBe(d.rotateWebhookSecret.secret.slice(-4));
    },
  },
  {
    name: 'deleteWebhook',
    query: `mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`,
    vars: async () => ({ id: await freshWebhook() }),
    allowed: async (d, v) => {
      expect(d.deleteWebhook.deletedWebhookId).toBe(v.id);
      expect(await db().webhook.findUnique({ where: { id: v.id } })).toBeNull();
    },
  },
  {
    name: 'publishEvent',
    query: `mutation($p: ID) { publishEvent(input: { projectId: $p, type: "iso.pub", data: {} }) { deliveryCount event { id } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: async (d) => {
      expect(await db().event.findUnique({ where: { id: d.publishEvent.event.id } })).toMatchObject({ projectId: A.projectId, type: 'iso.pub' });
      expect(d.publishEvent.deliveryCount).toBe(1);
    },
    expect: { foreign: 'FORBIDDEN', tenant: 'FORBIDDEN' },
  },
  {
    name: 'sendTestEvent',
    query: `mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`,
    vars: async () => ({ w: await freshWebhook() }),
    allowed: async (d, v) =>
      expect(await db().delivery.findUnique({ where: { id: d.sendTestEvent.delivery.id } })).toMatchObject({ webhookId: v.w, projectId: A.projectId }),
  },
  {
    name: 'retryDelivery',
    query: `mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id status } } }`,
    vars: () => ({ id: deliveryA }),
    allowed: (d) => expect(d.retryDelivery.delivery).toEqual({ id: deliveryA, status: 'PENDING' }),
  },
  {
    name: 'recoverFailedDeliveries',
    query: `mutation($w: ID!) { recoverFailedDeliveries(input: { webhookId: $w, since: "2020-01-01T00:00:00Z" }) { count } }`,
    vars: async () => ({ w: await failedWebhook() }),
    allowed: (d) => expect(d.recoverFailedDeliveries.count).toBe(1),
  },
  {
    name: 'createApiKey',
    query: `mutation($p: ID) { createApiKey(input: { projectId: $p, name: "k" }) { key apiKey { id } } }`,
    vars: () => ({ p: A.projectId }),
    allowed: async (d) =>
      expect(await db().apiKey.findUnique({ where: { id: d.createApiKey.apiKey.id } })).toMatchObject({ projectId: A.projectId, scope: 'PROJECT' }),
    expect: { foreign: 'FORBIDDEN', tenant: 'FORBIDDEN' },
  },
  {
    name: 'revokeApiKey',
    query: `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`,
    vars: async () => ({ id: await freshKey() }),
    allowed: async (d, v) => {
      expect(d.revokeApiKey.apiKey.id).toBe(v.id);
      expect((await db().apiKey.findUniqueOrThrow({ where: { id: v.id } })).revokedAt).not.toBeNull();
    },
    expect: { tenant: 'FORBIDDEN' },
  },
  {
    name: 'createTenantToken',
    query: `mutation($p: ID) { createTenantToken(input: { projectId: $p, tenantId: "t9" }) { token } }`,
    vars: () => ({ p: A.projectId }),
    allowed: async (d) =>
      expect((await h.ok(`{ viewer { scope tenantId project { id } } }`, {}, d.createTenantToken.token)).viewer).toEqual({
        scope: 'TENANT',
        tenantId: 't9',
        project: { id: A.projectId },
      }),
    expect: { foreign: 'FORBIDDEN', tenant: 'FORBIDDEN' },
  },
];

const keyOf = (who: Who) => ({ own: A.key, foreign: B.key, admin: TEST_ADMIN_KEY, none: null, tenant: tenantToken })[who];
describe('isolation matrix: every operation × own / foreign / admin / no key / tenant token', () => {
  const cases = operations.flatMap((op) =>
    (['own', 'foreign', 'admin', 'none', 'tenant'] as Who[]).map((who) => {
      const defaults: Record<Who, Expected> = { own: 'ok', foreign: 'NOT_FOUND', admin: 'ok', none: 'UNAUTHENTICATED', tenant: 'NOT_FOUND' };
      return [op.name, who, op, op.expect?.[who] ?? defaults[who]] as const;
    }),
  );

  it.each(cases)('%s as %s', async (_name, who, op, expected) => {
    const vars = await op.vars();
    if (expected === 'ok') {
      const res = await h.gql(op.query, vars, keyOf(who));
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      await (who === 'tenant' && op.asTenant ? op.asTenant : op.allowed)(res.data, vars);
      return;
    }
    const before = await allRows(db());
    const res = await h.gql(op.query, vars, keyOf(who));
    // Nothing of project A leaks in the refusal, and nothing changed.
    expectRefused(res, expected, vars, [A.projectId, hookA, eventA, deliveryA, attemptA, keyIdA]);
    expect(await allRows(db())).toEqual(before);
  });
});

describe('subscriptions respect project scope', () => {
  const ATTEMPTS = `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { id delivery { webhook { id } } } }`;
  const attemptMarker = (projectId: string, webhookId: string = MARKER_IDS.webhookId) => ({
    attemptId: MARKER_IDS.attemptId,
    deliveryId: MARKER_IDS.deliveryId,
    webhookId,
    projectId,
  });

  it('refuses a subscription to another project’s webhook and a connection without a key', async () => {
    const refused = wsSubscription(h.wsClient(B.key), ATTEMPTS, { w: hookA });
    // A refused subscription answers with one result carrying the error, then completes.
    expect(await refused.ended).toBeNull();
    expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(refused.items).toEqual([]);

    const anonymous = wsSubscription(h.wsClient(null), ATTEMPTS);
    expect(await anonymous.ended).toMatchObject({ code: 4403 });
  });

  it('a project key never receives another project’s attempts', async () => {
    const hookB = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['*'] } }, B.key)).createWebhook.webhook.id;
    const byB = wsSubscription(h.wsClient(B.key), ATTEMPTS);
    const byAdmin = wsSubscription(h.wsClient(TEST_ADMIN_KEY), ATTEMPTS);
    await proveLive(h, byB, 'deliveryAttemptCreated', attemptMarker(B.projectId));
    await proveLive(h, byAdmin, 'deliveryAttemptCreated', attemptMarker(B.projectId));

    const webhookOf = (a: any) => a.delivery.webhook.id;
    await h.ok(PUBLISH_EVENT, { input: { type: 'iso.a', data: {} } }, A.key);
    await waitUntil(() => byAdmin.items.some((a) => webhookOf(a) === hookA), 10_000, 'A’s attempt at the admin');
    await h.ok(PUBLISH_EVENT, { input: { type: 'iso.b', data: {} } }, B.key);
    // Messages reach one process's subscribers in order: once B has its own attempt, A's would be there.
    await waitUntil(() => byB.items.length > 0, 10_000, 'B’s attempt');
    await waitUntil(() => byAdmin.items.some((a) => webhookOf(a) === hookB), 10_000, 'B’s attempt at the admin');
    expect(byB.items.map(webhookOf)).toEqual([hookB]);
  });

  it('revoking a key closes its open WebSocket subscriptions', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "live" }) { key apiKey { id } } }`, { p: A.projectId });
    let closeEvent: { code: number; reason: string } | undefined;
    const client = h.wsClient(createApiKey.key, { on: { closed: (e) => (closeEvent = e as { code: number; reason: string }) } });
    const live = wsSubscription(client, ATTEMPTS, { w: hookA });
    await proveLive(h, live, 'deliveryAttemptCreated', attemptMarker(A.projectId, hookA));
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: createApiKey.apiKey.id }, A.key);
    await live.ended;
    expect(closeEvent).toMatchObject({ code: 4401, reason: 'API key revoked' });
  });

  it('revoking a key ends its open SSE subscriptions too', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "sse" }) { key apiKey { id } } }`, { p: A.projectId });
    const live = await sseSubscription(h.url, createApiKey.key, `subscription { deliveryUpdated { id } }`);
    expect(live.status).toBe(200);
    await proveLive(h, live, 'deliveryUpdated', { deliveryId: MARKER_IDS.deliveryId, webhookId: MARKER_IDS.webhookId, projectId: A.projectId });
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: createApiKey.apiKey.id }, A.key);
    // The server ends the stream: the read loop stops on `done`.
    expect(await live.ended).toBeNull();
    expect(live.errors).toMatchObject([{ message: 'API key revoked', extensions: { code: 'UNAUTHENTICATED' } }]);
  });
});
