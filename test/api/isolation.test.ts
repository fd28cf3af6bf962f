import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let A: { projectId: string; key: string };
let B: { projectId: string; key: string };
let hookA: string;
let eventA: string;
let deliveryA: string;
let attemptA: string;
let keyIdA: string;

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  A = await h.createProject('A');
  B = await h.createProject('B');
  hookA = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['*'], retryPolicy: { schedule: [] } } }, A.key)).createWebhook.webhook.id;
  eventA = (await h.ok(PUBLISH_EVENT, { input: { type: 'iso.setup', data: {} } }, A.key)).publishEvent.event.id;
  const delivery = await waitUntil(() => h.deps.db.delivery.findFirst({ where: { eventId: eventA, status: 'SUCCEEDED' }, include: { attempts: true } }));
  deliveryA = delivery.id;
  attemptA = delivery.attempts[0].id;
  keyIdA = (await h.deps.db.apiKey.findFirstOrThrow({ where: { projectId: A.projectId } })).id;
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

type Who = 'own' | 'foreign' | 'admin' | 'none';
type Expected = 'ok' | 'null' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED';
interface Operation {
  name: string;
  query: string;
  /** Fresh variables for each run (a mutation that deletes needs its own victim). */
  vars: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  expect?: Partial<Record<Who, Expected>>;
}

const freshWebhook = async () =>
  (await h.ok(CREATE_WEBHOOK, { input: { projectId: A.projectId, url: 'https://fresh.example', events: ['x.y'] } })).createWebhook.webhook.id;
const freshKey = async () =>
  (await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "victim" }) { apiKey { id } } }`, { p: A.projectId })).createApiKey.apiKey.id;

const operations: Operation[] = [
  { name: 'project', query: `query($id: ID!) { project(id: $id) { id } }`, vars: () => ({ id: A.projectId }) },
  { name: 'projects', query: `{ projects { edges { node { id } } } }`, vars: () => ({}), expect: { own: 'FORBIDDEN', foreign: 'FORBIDDEN' } },
  { name: 'webhooks', query: `query($p: ID) { webhooks(projectId: $p) { edges { node { id } } } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'apiKeys', query: `query($p: ID) { apiKeys(projectId: $p) { edges { node { id keyHint } } } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'webhook', query: `query($id: ID!) { webhook(id: $id) { id url } }`, vars: () => ({ id: hookA }) },
  { name: 'events', query: `query($p: ID) { events(projectId: $p) { edges { node { id data } } } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'event', query: `query($id: ID!) { event(id: $id) { id data } }`, vars: () => ({ id: eventA }) },
  { name: 'deliveries by webhook', query: `query($w: ID) { deliveries(webhookId: $w) { edges { node { id } } } }`, vars: () => ({ w: hookA }) },
  { name: 'deliveries by event', query: `query($e: ID) { deliveries(eventId: $e) { edges { node { id } } } }`, vars: () => ({ e: eventA }) },
  { name: 'deliveries by project', query: `query($p: ID) { deliveries(projectId: $p) { edges { node { id } } } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'delivery', query: `query($id: ID!) { delivery(id: $id) { id attempts { edges { node { responseBody } } } } }`, vars: () => ({ id: deliveryA }) },
  ...[
    ['node(webhook)', () => hookA],
    ['node(event)', () => eventA],
    ['node(delivery)', () => deliveryA],
    ['node(attempt)', () => attemptA],
    ['node(project)', () => A.projectId],
    ['node(api key)', () => keyIdA],
  ].map(([name, id]) => ({
    name: name as string,
    query: `query($id: ID!) { node(id: $id) { id } }`,
    vars: () => ({ id: (id as () => string)() }),
    expect: { foreign: 'null' as const },
  })),
  { name: 'nodes', query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, vars: () => ({ ids: [hookA, eventA] }), expect: { foreign: 'null' } },
  { name: 'createWebhook', query: `mutation($p: ID) { createWebhook(input: { projectId: $p, url: "https://n.example", events: ["a.b"] }) { webhook { id } } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'updateWebhook', query: `mutation($id: ID!) { updateWebhook(input: { id: $id, name: "renamed" }) { webhook { id } } }`, vars: () => ({ id: hookA }) },
  { name: 'rotateWebhookSecret', query: `mutation($id: ID!) { rotateWebhookSecret(input: { id: $id, gracePeriodSeconds: 0 }) { secret } }`, vars: async () => ({ id: await freshWebhook() }) },
  { name: 'deleteWebhook', query: `mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`, vars: async () => ({ id: await freshWebhook() }) },
  { name: 'publishEvent', query: `mutation($p: ID) { publishEvent(input: { projectId: $p, type: "iso.pub", data: {} }) { deliveryCount } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'sendTestEvent', query: `mutation($w: ID!) { sendTestEvent(input: { webhookId: $w }) { delivery { id } } }`, vars: async () => ({ w: await freshWebhook() }) },
  { name: 'retryDelivery', query: `mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { id } } }`, vars: () => ({ id: deliveryA }) },
  { name: 'recoverFailedDeliveries', query: `mutation($w: ID!) { recoverFailedDeliveries(input: { webhookId: $w, since: "2020-01-01T00:00:00Z" }) { count } }`, vars: () => ({ w: hookA }) },
  { name: 'createApiKey', query: `mutation($p: ID) { createApiKey(input: { projectId: $p, name: "k" }) { key } }`, vars: () => ({ p: A.projectId }), expect: { foreign: 'FORBIDDEN' } },
  { name: 'revokeApiKey', query: `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, vars: async () => ({ id: await freshKey() }) },
];

const keyOf = (who: Who) => ({ own: A.key, foreign: B.key, admin: TEST_ADMIN_KEY, none: null })[who];

describe('isolation matrix: every operation × own / foreign / admin / no key', () => {
  const cases = operations.flatMap((op) =>
    (['own', 'foreign', 'admin', 'none'] as Who[]).map((who) => {
      const defaults: Record<Who, Expected> = { own: 'ok', foreign: 'NOT_FOUND', admin: 'ok', none: 'UNAUTHENTICATED' };
      return [op.name, who, op, op.expect?.[who] ?? defaults[who]] as const;
    }),
  );

  it.each(cases)('%s as %s', async (_name, who, op, expected) => {
    const res = await h.gql(op.query, await op.vars(), keyOf(who));
    if (expected === 'ok') {
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    } else if (expected === 'null') {
      expect(res.errors).toBeUndefined();
      expect(JSON.stringify(res.data)).not.toContain('"id":"');
    } else {
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe(expected);
      // Nothing of project A leaks in the refusal.
      expect(JSON.stringify(res.data ?? null)).not.toMatch(/(whk|evt|dlv|att)_/);
    }
  });
});

describe('subscriptions respect project scope', () => {
  const ATTEMPTS = `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { id delivery { webhook { id } } } }`;

  it('refuses a subscription to another project’s webhook and a connection without a key', async () => {
    const foreign = h.wsClient(B.key);
    // A refused subscription answers with one result carrying the error, then completes.
    const refused = await new Promise<any>((resolve) =>
      foreign.subscribe({ query: ATTEMPTS, variables: { w: hookA } }, { next: resolve, error: resolve, complete: () => resolve(null) }),
    );
    expect(refused.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(refused.data ?? null).toBeNull();

    const anonymous = h.wsClient(null);
    const closed = await new Promise<any>((resolve) =>
      anonymous.subscribe({ query: ATTEMPTS, variables: {} }, { next: () => {}, error: resolve, complete: () => resolve(null) }),
    );
    expect(closed?.code).toBe(4403);
  });

  it('a project key never receives another project’s attempts', async () => {
    const hookB = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['*'] } }, B.key)).createWebhook.webhook.id;
    const seenByB: string[] = [];
    const seenByAdmin: string[] = [];
    h.wsClient(B.key).subscribe({ query: ATTEMPTS, variables: {} }, { next: (m: any) => seenByB.push(m.data.deliveryAttemptCreated.delivery.webhook.id), error: () => {}, complete: () => {} });
    h.wsClient(TEST_ADMIN_KEY).subscribe({ query: ATTEMPTS, variables: {} }, { next: (m: any) => seenByAdmin.push(m.data.deliveryAttemptCreated.delivery.webhook.id), error: () => {}, complete: () => {} });
    await h.waitForSubscriber('deliveryAttemptCreated');
    await new Promise((r) => setTimeout(r, 200));
    await h.ok(PUBLISH_EVENT, { input: { type: 'iso.a', data: {} } }, A.key);
    await waitUntil(() => seenByAdmin.includes(hookA), 10_000, 'A’s attempt');
    await h.ok(PUBLISH_EVENT, { input: { type: 'iso.b', data: {} } }, B.key);
    await waitUntil(() => seenByB.length > 0, 10_000, 'B’s attempt');
    expect(seenByB).toEqual([hookB]);
    expect(seenByAdmin).toEqual(expect.arrayContaining([hookA, hookB]));
  });

  it('revoking a key closes its open WebSocket subscriptions', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "live" }) { key apiKey { id } } }`, { p: A.projectId });
    let closeEvent: { code: number; reason: string } | undefined;
    const client = h.wsClient(createApiKey.key, { on: { closed: (e) => (closeEvent = e as { code: number; reason: string }) } });
    const ended = new Promise<unknown>((resolve) =>
      client.subscribe({ query: ATTEMPTS, variables: { w: hookA } }, { next: () => {}, error: resolve, complete: () => resolve(null) }),
    );
    await h.waitForSubscriber('apiKeyRevoked');
    await new Promise((r) => setTimeout(r, 200));
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: createApiKey.apiKey.id }, A.key);
    await ended;
    expect(closeEvent).toMatchObject({ code: 4401, reason: 'API key revoked' });
  });

  it('revoking a key ends its open SSE subscriptions too', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "sse" }) { key apiKey { id } } }`, { p: A.projectId });
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${createApiKey.key}` },
      body: JSON.stringify({ query: `subscription { deliveryUpdated { id } }` }),
    });
    expect(res.status).toBe(200);
    await h.waitForSubscriber('apiKeyRevoked');
    await new Promise((r) => setTimeout(r, 300));
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: createApiKey.apiKey.id }, A.key);
    const reader = res.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('API key revoked');
    expect(text).toContain('UNAUTHENTICATED');
  });
});
