import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { allRows, ANY_ID, expectRefused } from '../support/isolation.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import type { Topics } from '../../src/core/broadcaster.ts';
import { MARKER_IDS, proveLive, type Subscription, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

// The tenant axis of the isolation matrix: every operation on an object × whose object it is (the
// caller's own tenant, another tenant of the project, the project itself, another project) × who
// calls (a tenant token of t1 in project A, A's project key, an admin key).

type Owner = 'ownTenant' | 'otherTenant' | 'projectWide' | 'otherProject';
type Caller = 'tenant' | 'project' | 'admin';
type Expected = 'ok' | 'NOT_FOUND' | 'null';
const OWNERS: Owner[] = ['ownTenant', 'otherTenant', 'projectWide', 'otherProject'];

interface Objects {
  projectId: string;
  tenantId: string | null;
  webhook: string;
  event: string;
  delivery: string;
  attempt: string;
}

let h: Harness;
let receiver: Receiver;
let failing: Receiver;
let A: { projectId: string; key: string };
let B: { projectId: string; key: string };
let token: string;
const objects = {} as Record<Owner, Objects>;

const ownerKey = (o: Owner) => (o === 'otherProject' ? B.key : A.key);
const tenantOf = (o: Owner) => ({ ownTenant: 't1', otherTenant: 't2', projectWide: null, otherProject: 't1' })[o];

async function webhookOf(o: Owner, url: string, events = ['*']): Promise<string> {
  const input = { url, events, retryPolicy: { schedule: [] }, ...(tenantOf(o) ? { tenantId: tenantOf(o) } : {}) };
  return (await h.ok(CREATE_WEBHOOK, { input }, ownerKey(o))).createWebhook.webhook.id;
}

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.respondWith((_req, res) => res.writeHead(500).end('down'));
  A = await h.createProject('A');
  B = await h.createProject('B');
  // Project B has a tenant named t1 too: tenant ids are the SaaS's own, meaningful within a project only.
  token = (await h.ok(`mutation { createTenantToken(input: { tenantId: "t1" }) { token } }`, {}, A.key)).createTenantToken.token;
  for (const o of OWNERS) {
    const webhook = await webhookOf(o, receiver.url, [`iso.${o}`]);
    const input = { type: `iso.${o}`, data: { owner: o }, ...(tenantOf(o) ? { tenantId: tenantOf(o) } : {}) };
    const event = (await h.ok(PUBLISH_EVENT, { input }, ownerKey(o))).publishEvent.event.id;
    const delivery = await h.waitForDelivery({ eventId: event }, 'SUCCEEDED');
    const projectId = o === 'otherProject' ? B.projectId : A.projectId;
    objects[o] = { projectId, tenantId: tenantOf(o), webhook, event, delivery: delivery.id, attempt: delivery.attempts.edges[0].node.id };
  }
});
afterAll(async () => {
  await h.close();
  await receiver.close();
  await failing.close();
});

interface Operation {
  name: string;
  query: string;
  vars: (o: Objects, owner: Owner) => Promise<Record<string, unknown>> | Record<string, unknown>;
  allowed: (data: any, o: Objects, vars: Record<string, any>) => Promise<void> | void;
  refused?: 'null';
}

const db = () => h.deps.db;
const ids = (c: { edges: { node: { id: string } }[] }) => c.edges.map((e) => e.node.id);

const operations: Operation[] = [
  {
    name: 'webhook',
    query: `query($id: ID!) { webhook(id: $id) { id tenantId } }`,
    vars: (o) => ({ id: o.webhook }),
    allowed: (d, o) => expect(d.webhook).toEqual({ id: o.webhook, tenantId: o.tenantId }),
  },
  {
    name: 'event',
    query: `query($id: ID!) { event(id: $id) { id tenantId data } }`,
    vars: (o) => ({ id: o.event }),
    allowed: (d, o) => expect(d.event).toMatchObject({ id: o.event, tenantId: o.tenantId }),
  },
  {
    name: 'delivery',
    query: `query($id: ID!) { delivery(id: $id) { id tenantId attempts { edges { node { id } } } } }`,
    vars: (o) => ({ id: o.delivery }),
    allowed: (d, o) => expect(d.delivery).toEqual({ id: o.delivery, tenantId: o.tenantId, attempts: { edges: [{ node: { id: o.attempt } }] } }),
  },
  {
    name: 'deliveries by webhook',
    query: `query($w: ID) { deliveries(webhookId: $w) { edges { node { id } } } }`,
    vars: (o) => ({ w: o.webhook }),
    allowed: (d, o) => expect(ids(d.deliveries)).toEqual([o.delivery]),
  },
  {
    name: 'deliveries by event',
    query: `query($e: ID) { deliveries(eventId: $e) { edges { node { id } } } }`,
    vars: (o) => ({ e: o.event }),
    allowed: (d, o) => expect(ids(d.deliveries)).toEqual([o.delivery]),
  },
  {
    name: 'attempts by delivery',
    query: `query($d: ID) { attempts(deliveryId: $d) { edges { node { id } } } }`,
    vars: (o) => ({ d: o.delivery }),
    allowed: (d, o) => expect(ids(d.attempts)).toEqual([o.attempt]),
  },
  {
    name: 'attempts by webhook',
    query: `query($w: ID) { attempts(webhookId: $w) { edges { node { id } } } }`,
    vars: (o) => ({ w: o.webhook }),
    allowed: (d, o) => expect(ids(d.attempts)).toEqual([o.attempt]),
  },
  ...(['webhook', 'event', 'delivery', 'attempt'] as const).map(
    (kind): Operation => ({
      name: `node(${kind})`,
      query: `query($id: ID!) { node(id: $id) { id } }`,
      vars: (o) => ({ id: o[kind] }),
      allowed: (d, o) => expect(d.node).toEqual({ id: o[kind] }),
      refused: 'null',
    }),
  ),
  {
    name: 'nodes',
    query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
    vars: (o) => ({ ids: [o.webhook, o.delivery] }),
    allowed: (d, o) => expect(d.nodes).toEqual([{ id: o.webhook }, { id: o.delivery }]),
    refused: 'null',
  },
  {
    name: 'updateWebhook',
    query: `mutation($id: ID!, $name: String) { updateWebhook(input: { id: $id, name: $name }) { webhook { id name tenantId } } }`,
    vars: (o) => ({ id: o.webhook, name: `renamed ${Date.now()}` }),
    allowed: async (d, o, v) => {
      expect(d.updateWebhook.webhook).toEqual({ id: o.webhook, name: v.name, tenantId: o.tenantId });
      expect(await db().webhook.findUniqueOrThrow({ where: { id: o.webhook } })).toMatchObject({ name: v.name, tenantId: o.tenantId });
    },
  },
  {
    name: 'rotateWebhookSecret',
    query: `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id, gracePeriodSeconds: 0 }) { secret webhook { id } } }`,
    vars: async (_o, owner) => ({ id: await webhookOf(owner, receiver.url, ['x.y']) }),
    allowed: async (d, _o, v) =>
      expect((await db().webhook.findUniqueOrThrow({ where: { id: v.id } })).secretHint).toBe(d.rotateWebhookSecret.secret.slice(-4)),
  },
  {
    name: 'deleteWebhook',
    query: `mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`,
    vars: async (_o, owner) => ({ id: await webhookOf(owner, receiver.url, ['x.y']) }),
    allowed: async (d, _o, v) => {
      expect(d.deleteWebhook.deletedWebhookId).toBe(v.id);
      expect(await db().webhook.findUnique({ where: { id: v.id } })).toBeNull();
    },
  },
  {
    name: 'sendTestEvent',
    query: `mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id tenantId } } }`,
    vars: async (_o, owner) => ({ w: await webhookOf(owner, receiver.url, ['x.y']) }),
    allowed: async (d, o, v) =>
      expect(await db().delivery.findUnique({ where: { id: d.sendTestEvent.delivery.id } })).toMatchObject({
        webhookId: v.w,
        tenantId: o.tenantId,
        projectId: o.projectId,
      }),
  },
  {
    name: 'retryDelivery',
    query: `mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id status } } }`,
    vars: (o) => ({ id: o.delivery }),
    allowed: (d, o) => expect(d.retryDelivery.delivery).toEqual({ id: o.delivery, status: 'PENDING' }),
  },
  {
    name: 'recoverFailedDeliveries',
    query: `mutation($w: ID!) { recoverFailedDeliveries(input: { webhookId: $w, since: "2020-01-01T00:00:00Z" }) { count } }`,
    vars: async (_o, owner) => {
      const w = await webhookOf(owner, failing.url, ['x.y']);
      await h.ok(`mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, { w }, ownerKey(owner));
      await h.waitForDelivery({ webhookId: w }, 'FAILED');
      return { w };
    },
    allowed: (d) => expect(d.recoverFailedDeliveries.count).toBe(1),
  },
];

/** A tenant token reaches its own tenant's objects only; a project key its project's; an admin key all. */
function expected(caller: Caller, owner: Owner, op: Operation): Expected {
  const allowed = caller === 'admin' || (caller === 'project' ? owner !== 'otherProject' : owner === 'ownTenant');
  return allowed ? 'ok' : (op.refused ?? 'NOT_FOUND');
}
const credential = (caller: Caller) => ({ tenant: token, project: A.key, admin: TEST_ADMIN_KEY })[caller];
describe('tenant axis: every operation × own tenant / other tenant / project-wide / other project × caller', () => {
  const cases = operations.flatMap((op) =>
    (['tenant', 'project', 'admin'] as Caller[]).flatMap((caller) => OWNERS.map((owner) => [op.name, owner, caller, op, expected(caller, owner, op)] as const)),
  );

  it.each(cases)('%s on %s objects as %s', async (_name, owner, caller, op, outcome) => {
    const o = objects[owner];
    const vars = await op.vars(o, owner);
    if (outcome === 'ok') {
      const res = await h.gql(op.query, vars, credential(caller));
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      await op.allowed(res.data, o, vars);
      return;
    }
    const before = await allRows(db());
    const res = await h.gql(op.query, vars, credential(caller));
    // Nothing leaks in the refusal and nothing changes.
    expectRefused(
      res,
      outcome,
      vars,
      Object.values(o).filter((v): v is string => typeof v === 'string' && ANY_ID.test(v)),
    );
    expect(await allRows(db())).toEqual(before);
  });
});

/**
 * proveLive for a message naming a real webhook: webhookStatusChanged resolves it to the webhook
 * itself (not null), so anything arriving proves the subscription live.
 */
async function proveLiveOn(sub: Subscription, topic: keyof Topics, message: any): Promise<void> {
  if (topic !== 'webhookStatusChanged') return proveLive(h, sub, topic, message);
  const before = sub.items.length;
  await waitUntil(
    () => {
      if (sub.items.length > before) return true;
      h.deps.broadcaster.publish(topic, message);
      return false;
    },
    10_000,
    `a ${topic} message to reach the subscriber`,
  );
}

describe('subscriptions × tenant', () => {
  const SUBSCRIPTIONS = {
    deliveryAttemptCreated: `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { id delivery { webhook { id } } } }`,
    deliveryUpdated: `subscription($w: ID) { deliveryUpdated(webhookId: $w) { id webhook { id } } }`,
    webhookStatusChanged: `subscription($w: ID) { webhookStatusChanged(webhookId: $w) { id } }`,
  } as const;

  it.each(Object.entries(SUBSCRIPTIONS).flatMap(([topic, query]) => OWNERS.map((owner) => [topic, owner, query] as const)))(
    '%s(webhookId) of %s objects with a tenant token',
    async (topic, owner, query) => {
      const o = objects[owner];
      const sub = wsSubscription(h.wsClient(token), query, { w: o.webhook });
      if (owner !== 'ownTenant') {
        expect(await sub.ended).toBeNull();
        expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
        return;
      }
      const marker = { attemptId: MARKER_IDS.attemptId, deliveryId: MARKER_IDS.deliveryId, webhookId: o.webhook, projectId: o.projectId, active: true };
      await proveLiveOn(sub, topic as keyof typeof SUBSCRIPTIONS, marker);
      sub.close();
    },
  );

  it("a tenant token's streams carry its own tenant's messages only", async () => {
    const streams = Object.fromEntries(
      Object.entries(SUBSCRIPTIONS).map(([topic, query]) => [
        topic,
        { tenant: wsSubscription(h.wsClient(token), query), admin: wsSubscription(h.wsClient(TEST_ADMIN_KEY), query) },
      ]),
    );
    // Markers name a webhook of t1's kept for the purpose, so they are told apart from real messages.
    const probe = await webhookOf('ownTenant', receiver.url, ['probe.only']);
    for (const [topic, { tenant, admin }] of Object.entries(streams)) {
      const marker = { attemptId: MARKER_IDS.attemptId, deliveryId: MARKER_IDS.deliveryId, webhookId: probe, projectId: A.projectId, active: true };
      await proveLiveOn(tenant, topic as keyof typeof SUBSCRIPTIONS, marker);
      await proveLiveOn(admin, topic as keyof typeof SUBSCRIPTIONS, marker);
    }
    const webhookOfItem = (topic: string, item: any) =>
      topic === 'deliveryAttemptCreated' ? item.delivery.webhook.id : topic === 'deliveryUpdated' ? item.webhook.id : item.id;
    const seenByAdmin = (topic: string, webhook: string) => streams[topic].admin.items.some((i) => webhookOfItem(topic, i) === webhook);

    // Others first, each seen by the admin before the tenant's own is sent: messages reach one
    // process's subscribers in order, so once the tenant has its own, the others would be there.
    for (const owner of ['otherTenant', 'projectWide', 'otherProject', 'ownTenant'] as Owner[]) {
      const { webhook } = objects[owner];
      await h.ok(`mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, { w: webhook }, ownerKey(owner));
      // The attempt is made before the webhook is disabled (a disabled webhook's delivery is held).
      for (const topic of ['deliveryAttemptCreated', 'deliveryUpdated']) {
        await waitUntil(() => seenByAdmin(topic, webhook), 15_000, `${topic} of ${owner} at the admin`);
      }
      await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }`, { id: webhook }, ownerKey(owner));
      await waitUntil(() => seenByAdmin('webhookStatusChanged', webhook), 15_000, `webhookStatusChanged of ${owner} at the admin`);
      await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: true }) { webhook { id } } }`, { id: webhook }, ownerKey(owner));
    }
    for (const [topic, { tenant }] of Object.entries(streams)) {
      const seen = () => new Set(tenant.items.map((i) => webhookOfItem(topic, i)).filter((w) => w !== probe));
      await waitUntil(() => seen().has(objects.ownTenant.webhook), 15_000, `${topic} at the tenant`);
      expect(seen()).toEqual(new Set([objects.ownTenant.webhook]));
    }
  });
});

describe('what a tenant token sees of the project', () => {
  it('its lists hold its own tenant only, another tenant is FORBIDDEN, broadcasts it was sent are its events', async () => {
    const as = (query: string, vars: Record<string, unknown> = {}) => h.gql(query, vars, token);
    const broadcast = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.ownTenant', data: {}, broadcast: true } }, A.key)).publishEvent.event.id;
    // A broadcast no webhook of t1 subscribes to went to nobody of t1: not its event.
    const missed = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.otherTenant', data: {}, broadcast: true } }, A.key)).publishEvent.event.id;

    const events = (await as(`{ events(first: 100) { edges { node { id tenantId deliveries { edges { node { id tenantId } } } } } } }`)).data.events.edges.map(
      (e: any) => e.node,
    );
    // (Earlier tests sent t1 test events too: they are t1's.)
    const published = await db().event.findMany({ where: { projectId: A.projectId, tenantId: 't1' }, select: { id: true } });
    expect(published.map((e) => e.id)).toContain(objects.ownTenant.event);
    expect(events.map((e: any) => e.id).sort()).toEqual([...published.map((e) => e.id), broadcast].sort());
    // Of a broadcast, it sees its own delivery only.
    const own = await db().delivery.findFirstOrThrow({ where: { eventId: broadcast, tenantId: 't1' } });
    expect(events.find((e: any) => e.id === broadcast).deliveries.edges).toEqual([{ node: { id: own.id, tenantId: 't1' } }]);
    expect((await as(`query($id: ID!) { event(id: $id) { id tenantId } }`, { id: broadcast })).data.event).toEqual({ id: broadcast, tenantId: null });
    expect((await as(`query($id: ID!) { node(id: $id) { id } }`, { id: broadcast })).data.node).toEqual({ id: broadcast });
    expect((await as(`query($id: ID!) { event(id: $id) { id } }`, { id: missed })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await as(`query($id: ID!) { node(id: $id) { id } }`, { id: missed })).data.node).toBeNull();

    for (const list of ['webhooks', 'events', 'deliveries', 'attempts']) {
      expect((await as(`{ ${list}(tenantId: "t2") { edges { node { id } } } }`)).errors?.[0]?.extensions?.code, list).toBe('FORBIDDEN');
      expect((await as(`{ ${list}(tenantId: "t1") { edges { node { id } } } }`)).errors, list).toBeUndefined();
      expect((await as(`query($p: ID) { ${list}(projectId: $p) { edges { node { id } } } }`, { p: B.projectId })).errors?.[0]?.extensions?.code, list).toBe(
        'FORBIDDEN',
      );
    }
    const { attempts } = (await as(`{ attempts(first: 100) { edges { node { id delivery { tenantId } } } } }`)).data;
    expect(new Set(attempts.edges.map((e: any) => e.node.delivery.tenantId))).toEqual(new Set(['t1']));

    // The project is readable (its name, its stats narrowed to the tenant); its keys are not.
    const STATS = `query($p: ID!, $t: String) { project(id: $p) { id stats(window: LAST_DAY, tenantId: $t) { total } } }`;
    const t1Attempts = await db().deliveryAttempt.count({ where: { delivery: { tenantId: 't1', projectId: A.projectId } } });
    expect((await as(STATS, { p: A.projectId })).data.project.stats.total).toBe(t1Attempts);
    expect((await h.ok(STATS, { p: A.projectId, t: 't1' }, A.key)).project.stats.total).toBe(t1Attempts);
    expect((await as(STATS, { p: A.projectId, t: 't2' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await as(STATS, { p: B.projectId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await as(`{ apiKeys { edges { node { id } } } }`)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await as(`mutation { publishEvents(input: { events: [{ type: "a.b", data: {} }] }) { deliveryCount } }`)).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    // A webhook it creates is its tenant's; naming another tenant is FORBIDDEN.
    const created = await as(`mutation { createWebhook(input: { url: "https://t1.example", events: ["*"], tenantId: "t1" }) { webhook { tenantId } } }`);
    expect(created.data.createWebhook.webhook).toEqual({ tenantId: 't1' });
    expect(
      (await as(`mutation { createWebhook(input: { url: "https://t2.example", events: ["*"], tenantId: "t2" }) { webhook { id } } }`)).errors?.[0]?.extensions
        ?.code,
    ).toBe('FORBIDDEN');
  });
});
