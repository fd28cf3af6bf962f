import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

// RegPilot's set-up: each of its customers registers an endpoint (tenant acme, tenant globex), and
// RegPilot keeps an audit sink of its own (project-wide).
let h: Harness;
let project: { projectId: string; key: string };
let acme: Receiver;
let globex: Receiver;
let audit: Receiver;
const hooks: Record<'acme' | 'globex' | 'audit', string> = { acme: '', globex: '', audit: '' };

const PUBLISH = /* GraphQL */ `
  mutation($input: PublishEventInput!) { publishEvent(input: $input) { deliveryCount event { id tenantId } } }
`;
const PUBLISH_MANY = /* GraphQL */ `
  mutation($input: PublishEventsInput!) {
    publishEvents(input: $input) { deliveryCount results { deliveryCount event { id tenantId } } }
  }
`;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  [acme, globex, audit] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  project = await h.createProject('RegPilot');
  const create = async (url: string, tenantId?: string) =>
    (await h.ok(CREATE_WEBHOOK, { input: { url, events: ['filing.*'], ...(tenantId ? { tenantId } : {}) } }, project.key)).createWebhook.webhook.id as string;
  hooks.acme = await create(acme.url, 'cust:acme');
  hooks.globex = await create(globex.url, 'cust:globex');
  hooks.audit = await create(audit.url);
});
afterAll(async () => {
  await h.close();
  await Promise.all([acme, globex, audit].map((r) => r.close()));
});

/** The webhooks an event has deliveries to, as committed with the event. */
async function routedTo(eventId: string): Promise<string[]> {
  const rows = await h.deps.db.delivery.findMany({ where: { eventId }, select: { webhookId: true } });
  const names = Object.fromEntries(Object.entries(hooks).map(([name, id]) => [id, name]));
  return rows.map((r) => names[r.webhookId]).sort();
}

/** The event ids a receiver got, from the bodies it was sent. */
const received = (r: Receiver) => r.requests.map((req) => JSON.parse(req.body).id as string);

describe('routing by tenant', () => {
  it("sends a tenant's event to its webhooks and the project-wide ones, never another tenant's", async () => {
    const forAcme = (await h.ok(PUBLISH, { input: { type: 'filing.submitted', data: { n: 1 }, tenantId: 'cust:acme' } }, project.key)).publishEvent;
    expect(forAcme.deliveryCount).toBe(2);
    expect(forAcme.event.tenantId).toBe('cust:acme');
    const forGlobex = (await h.ok(PUBLISH, { input: { type: 'filing.submitted', data: { n: 2 }, tenantId: 'cust:globex' } }, project.key)).publishEvent;
    const noTenant = (await h.ok(PUBLISH, { input: { type: 'filing.submitted', data: { n: 3 } } }, project.key)).publishEvent;
    expect(noTenant.deliveryCount).toBe(1);
    expect(noTenant.event.tenantId).toBeNull();
    const broadcast = (await h.ok(PUBLISH, { input: { type: 'filing.submitted', data: { n: 4 }, broadcast: true } }, project.key)).publishEvent;
    expect(broadcast.deliveryCount).toBe(3);
    // An unknown tenant reaches the project-wide webhooks only.
    const nobody = (await h.ok(PUBLISH, { input: { type: 'filing.submitted', data: { n: 5 }, tenantId: 'cust:initech' } }, project.key)).publishEvent;
    expect(nobody.deliveryCount).toBe(1);

    expect(await routedTo(forAcme.event.id)).toEqual(['acme', 'audit']);
    expect(await routedTo(forGlobex.event.id)).toEqual(['audit', 'globex']);
    expect(await routedTo(noTenant.event.id)).toEqual(['audit']);
    expect(await routedTo(broadcast.event.id)).toEqual(['acme', 'audit', 'globex']);
    expect(await routedTo(nobody.event.id)).toEqual(['audit']);

    // On the wire: the audit sink gets all five, each customer its own event and the broadcast only.
    await audit.waitFor(5);
    await acme.waitFor(2);
    await globex.waitFor(2);
    expect(received(audit).sort()).toEqual([forAcme, forGlobex, noTenant, broadcast, nobody].map((p) => p.event.id).sort());
    expect(received(acme).sort()).toEqual([forAcme.event.id, broadcast.event.id].sort());
    expect(received(globex).sort()).toEqual([forGlobex.event.id, broadcast.event.id].sort());

    // Each delivery carries the tenant of the endpoint it went to.
    const deliveries = await h.deps.db.delivery.findMany({ where: { eventId: broadcast.event.id }, select: { webhookId: true, tenantId: true } });
    expect(Object.fromEntries(deliveries.map((d) => [d.webhookId, d.tenantId]))).toEqual({
      [hooks.acme]: 'cust:acme',
      [hooks.globex]: 'cust:globex',
      [hooks.audit]: null,
    });
  });

  it('routes publishEvents the same way, per event or for the whole call', async () => {
    const { publishEvents } = await h.ok(
      PUBLISH_MANY,
      {
        input: {
          tenantId: 'cust:globex',
          events: [
            { type: 'filing.approved', data: { n: 1 } },
            { type: 'filing.approved', data: { n: 2 }, tenantId: 'cust:acme' },
            { type: 'filing.approved', data: { n: 3 }, broadcast: true },
            { type: 'filing.approved', data: { n: 4 }, broadcast: false },
          ],
        },
      },
      project.key,
    );
    const [forGlobex, forAcme, toAll, projectOnly] = publishEvents.results;
    expect(publishEvents.results.map((r: any) => [r.event.tenantId, r.deliveryCount])).toEqual([
      ['cust:globex', 2],
      ['cust:acme', 2],
      [null, 3],
      [null, 1],
    ]);
    expect(publishEvents.deliveryCount).toBe(8);
    expect(await routedTo(forGlobex.event.id)).toEqual(['audit', 'globex']);
    expect(await routedTo(forAcme.event.id)).toEqual(['acme', 'audit']);
    expect(await routedTo(toAll.event.id)).toEqual(['acme', 'audit', 'globex']);
    expect(await routedTo(projectOnly.event.id)).toEqual(['audit']);
    await waitUntil(() => received(globex).includes(forGlobex.event.id) && received(globex).includes(toAll.event.id), 15_000, 'globex’s events');
    await waitUntil(() => received(acme).includes(forAcme.event.id) && received(acme).includes(toAll.event.id), 15_000, 'acme’s events');
    await waitUntil(() => received(audit).includes(projectOnly.event.id), 15_000, 'the project-wide event');
    expect(received(acme)).not.toContain(forGlobex.event.id);
    expect(received(globex)).not.toContain(forAcme.event.id);
  });

  it('refuses a bad tenant id, and a tenant id together with broadcast, writing nothing', async () => {
    const before = await h.deps.db.event.count();
    const bad = [
      [PUBLISH, { input: { type: 'filing.x', data: {}, tenantId: 'no spaces' } }, 'input.tenantId'],
      [PUBLISH, { input: { type: 'filing.x', data: {}, tenantId: '' } }, 'input.tenantId'],
      [PUBLISH, { input: { type: 'filing.x', data: {}, tenantId: 'x'.repeat(256) } }, 'input.tenantId'],
      [PUBLISH, { input: { type: 'filing.x', data: {}, tenantId: 'cust:acme', broadcast: true } }, 'input.tenantId'],
      [
        PUBLISH_MANY,
        {
          input: {
            events: [
              { type: 'filing.x', data: {} },
              { type: 'filing.x', data: {}, tenantId: 'a', broadcast: true },
            ],
          },
        },
        'input.events.1.tenantId',
      ],
      [PUBLISH_MANY, { input: { tenantId: 'ü', events: [{ type: 'filing.x', data: {} }] } }, 'input.tenantId'],
      [CREATE_WEBHOOK, { input: { url: acme.url, events: ['*'], tenantId: 'a/b' } }, 'input.tenantId'],
    ] as const;
    for (const [query, vars, field] of bad) {
      const res = await h.gql(query, vars, project.key);
      expect(res.errors?.[0]?.extensions, JSON.stringify(res)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await h.deps.db.event.count()).toBe(before);
    expect(await h.deps.db.webhook.count()).toBe(3);
    // The longest and most varied id that is allowed.
    const ok = `A-z_0.9:${'x'.repeat(247)}`;
    expect((await h.ok(PUBLISH, { input: { type: 'filing.x', data: {}, tenantId: ok } }, project.key)).publishEvent.event.tenantId).toBe(ok);
  });

  it('sends a test event to a tenant’s webhook as an event of that tenant', async () => {
    const { sendTestEvent } = await h.ok(
      `mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id tenantId event { id tenantId } } } }`,
      { w: hooks.acme },
      project.key,
    );
    expect(sendTestEvent.delivery).toMatchObject({ tenantId: 'cust:acme', event: { tenantId: 'cust:acme' } });
    await waitUntil(() => received(acme).includes(sendTestEvent.delivery.event.id), 15_000, 'the test event at acme');
  });

  it('filters webhooks, events, deliveries, attempts and stats by tenant', async () => {
    const q = (query: string, vars: Record<string, unknown>) => h.ok(query, vars, project.key);
    const ids = (c: { edges: { node: { id: string } }[] }) => c.edges.map((e) => e.node.id);
    const webhooks = await q(`query($t: String) { webhooks(tenantId: $t) { edges { node { id tenantId } } } }`, { t: 'cust:acme' });
    expect(webhooks.webhooks.edges.map((e: any) => e.node)).toEqual([{ id: hooks.acme, tenantId: 'cust:acme' }]);
    expect(ids((await q(`{ webhooks { edges { node { id } } } }`, {})).webhooks).sort()).toEqual(Object.values(hooks).sort());

    // acme's events: those published for it and the broadcasts it was sent, not the project-only ones.
    const events = (await q(`query($t: String) { events(tenantId: $t, first: 100) { edges { node { id tenantId } } } }`, { t: 'cust:acme' })).events;
    const all = await h.deps.db.event.findMany({ include: { deliveries: true } });
    const acmes = all.filter((e) => e.tenantId === 'cust:acme' || (e.tenantId === null && e.deliveries.some((d) => d.webhookId === hooks.acme)));
    expect(acmes.length).toBeGreaterThanOrEqual(5);
    expect(ids(events).sort()).toEqual(acmes.map((e) => e.id).sort());

    const deliveries = (
      await q(`query($t: String) { deliveries(tenantId: $t, first: 100) { totalCount edges { node { id tenantId webhook { id } } } } }`, { t: 'cust:globex' })
    ).deliveries;
    expect(deliveries.totalCount).toBe(await h.deps.db.delivery.count({ where: { webhookId: hooks.globex } }));
    expect(new Set(deliveries.edges.map((e: any) => [e.node.tenantId, e.node.webhook.id].join(' ')))).toEqual(new Set([`cust:globex ${hooks.globex}`]));

    await waitUntil(
      async () => (await h.deps.db.delivery.count({ where: { status: { in: ['PENDING', 'RETRYING'] } } })) === 0,
      15_000,
      'every delivery to settle',
    );
    const attempts = (
      await q(`query($t: String) { attempts(tenantId: $t, first: 100) { totalCount edges { node { delivery { tenantId } } } } }`, { t: 'cust:acme' })
    ).attempts;
    expect(attempts.totalCount).toBe(acme.requests.length);
    expect(new Set(attempts.edges.map((e: any) => e.node.delivery.tenantId))).toEqual(new Set(['cust:acme']));

    const STATS = `query($p: ID!, $t: String) { project(id: $p) { stats(window: LAST_HOUR, tenantId: $t) { total succeeded backlog } } }`;
    const stats = async (t?: string) => (await q(STATS, { p: project.projectId, t })).project.stats;
    expect(await stats('cust:acme')).toEqual({ total: acme.requests.length, succeeded: acme.requests.length, backlog: 0 });
    expect(await stats('cust:globex')).toEqual({ total: globex.requests.length, succeeded: globex.requests.length, backlog: 0 });
    expect((await stats()).total).toBe(acme.requests.length + globex.requests.length + audit.requests.length);
    expect(await stats('cust:nobody')).toEqual({ total: 0, succeeded: 0, backlog: 0 });
  });
});
