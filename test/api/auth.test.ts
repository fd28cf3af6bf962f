import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';

let h: Harness;
let a: { projectId: string; key: string };
let b: { projectId: string; key: string };
let hookA: string;
let hookB: string;

const WEBHOOK = `query($id: ID!) { webhook(id: $id) { id url } }`;

beforeAll(async () => {
  h = await startHarness();
  a = await h.createProject('A');
  b = await h.createProject('B');
  hookA = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://a.example/hook', events: ['*'] } }, a.key)).createWebhook.webhook.id;
  hookB = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://b.example/hook', events: ['*'] } }, b.key)).createWebhook.webhook.id;
});
afterAll(() => h.close());

const code = (res: { errors?: { extensions?: { code?: string } }[] }) => res.errors?.[0]?.extensions?.code;

describe('authentication', () => {
  it('refuses requests without a key or with a wrong one', async () => {
    expect(code(await h.gql(WEBHOOK, { id: hookA }, null))).toBe('UNAUTHENTICATED');
    expect(code(await h.gql(WEBHOOK, { id: hookA }, 'hpk_not_a_real_key'))).toBe('UNAUTHENTICATED');
  });

  it('accepts the key as X-API-Key too', async () => {
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': a.key },
      body: JSON.stringify({ query: WEBHOOK, variables: { id: hookA } }),
    });
    expect(((await res.json()) as any).data.webhook.id).toBe(hookA);
  });

  it('revoking a key locks it out on the next request', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "ci" }) { key apiKey { id keyHint scope } } }`, {
      p: a.projectId,
    });
    expect(createApiKey.apiKey).toMatchObject({ scope: 'PROJECT', keyHint: createApiKey.key.slice(-4) });
    expect((await h.ok(WEBHOOK, { id: hookA }, createApiKey.key)).webhook.id).toBe(hookA);
    const { revokeApiKey } = await h.ok(
      `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`,
      { id: createApiKey.apiKey.id },
      a.key,
    );
    expect(revokeApiKey.apiKey.revokedAt).not.toBeNull();
    const { apiKeys } = await h.ok(`{ apiKeys { edges { node { id name revokedAt } } } }`, {}, a.key);
    expect(apiKeys.edges.map((e: any) => e.node)).toContainEqual({ id: createApiKey.apiKey.id, name: 'ci', revokedAt: revokeApiKey.apiKey.revokedAt });
    expect(code(await h.gql(WEBHOOK, { id: hookA }, createApiKey.key))).toBe('UNAUTHENTICATED');
  });

  it('stores API keys only as hashes', async () => {
    const rows = await h.deps.db.apiKey.findMany();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(a.key);
      expect(JSON.stringify(row)).not.toContain(b.key);
    }
  });
});

describe('project scope', () => {
  it('a project key reads its own webhook but not another project’s', async () => {
    expect((await h.ok(WEBHOOK, { id: hookA }, a.key)).webhook.url).toBe('https://a.example/hook');
    const denied = await h.gql(WEBHOOK, { id: hookB }, a.key);
    expect(code(denied)).toBe('NOT_FOUND');
    expect(denied.data).toBeNull();
  });

  it('a project key cannot change or delete another project’s webhook, and nothing changes', async () => {
    const upd = await h.gql(`mutation($id: ID!) { updateWebhook(input: { id: $id, url: "https://evil.example" }) { webhook { id } } }`, { id: hookB }, a.key);
    expect(code(upd)).toBe('NOT_FOUND');
    const del = await h.gql(`mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`, { id: hookB }, a.key);
    expect(code(del)).toBe('NOT_FOUND');
    expect((await h.deps.db.webhook.findUnique({ where: { id: hookB } }))?.url).toBe('https://b.example/hook');
  });

  it('a project key naming another project is FORBIDDEN', async () => {
    const res = await h.gql(CREATE_WEBHOOK, { input: { projectId: b.projectId, url: 'https://x.example', events: ['*'] } }, a.key);
    expect(code(res)).toBe('FORBIDDEN');
    expect(code(await h.gql(PUBLISH_EVENT, { input: { projectId: b.projectId, type: 'a.b', data: {} } }, a.key))).toBe('FORBIDDEN');
    expect(code(await h.gql(`query($p: ID) { webhooks(projectId: $p) { edges { node { id } } } }`, { p: b.projectId }, a.key))).toBe('FORBIDDEN');
  });

  it('node(id) hides foreign objects and resolves own ones by prefix', async () => {
    const NODE = `query($id: ID!) { node(id: $id) { id __typename } }`;
    expect((await h.ok(NODE, { id: hookA }, a.key)).node).toEqual({ id: hookA, __typename: 'Webhook' });
    expect((await h.ok(NODE, { id: hookB }, a.key)).node).toBeNull();
    expect((await h.ok(NODE, { id: a.projectId }, a.key)).node).toEqual({ id: a.projectId, __typename: 'Project' });
    expect((await h.ok(NODE, { id: b.projectId }, a.key)).node).toBeNull();
    expect((await h.ok(NODE, { id: hookB })).node.__typename).toBe('Webhook');
    expect((await h.ok(NODE, { id: 'whk_doesnotexist' })).node).toBeNull();
    expect(code(await h.gql(NODE, { id: hookA }, null))).toBe('UNAUTHENTICATED');
  });

  it('admin-only operations refuse project keys', async () => {
    expect(code(await h.gql(`{ projects { edges { node { id } } } }`, {}, a.key))).toBe('FORBIDDEN');
    expect(code(await h.gql(`mutation { createProject(input: { name: "x" }) { project { id } } }`, {}, a.key))).toBe('FORBIDDEN');
    const { projects } = await h.ok(`{ projects(first: 100) { edges { node { id name } } } }`);
    expect(projects.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([a.projectId, b.projectId]));
  });

  it('an admin key must name the project it acts on', async () => {
    expect(code(await h.gql(CREATE_WEBHOOK, { input: { url: 'https://x.example', events: ['*'] } }))).toBe('BAD_USER_INPUT');
    const made = await h.ok(CREATE_WEBHOOK, { input: { projectId: b.projectId, url: 'https://admin.example', events: ['*'] } });
    expect(made.createWebhook.webhook.url).toBe('https://admin.example');
  });
});

describe('webhook CRUD', () => {
  it('creates, lists newest first with cursors, updates and deletes', async () => {
    const p = await h.createProject('CRUD');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (await h.ok(CREATE_WEBHOOK, { input: { url: `https://crud.example/${i}`, events: ['a.*'], name: `hook ${i}` } }, p.key)).createWebhook.webhook.id,
      );
    }
    const LIST = `query($after: String) { webhooks(first: 2, after: $after) { edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;
    const page1 = (await h.ok(LIST, {}, p.key)).webhooks;
    expect(page1.edges.map((e: any) => e.node.id)).toEqual([ids[2], ids[1]]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await h.ok(LIST, { after: page1.pageInfo.endCursor }, p.key)).webhooks;
    expect(page2.edges.map((e: any) => e.node.id)).toEqual([ids[0]]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    const { updateWebhook } = await h.ok(
      `mutation($id: ID!, $headers: JSON) { updateWebhook(input: { id: $id, events: ["b.created"], active: false, headers: $headers, timeoutSeconds: 5, description: "d" }) { webhook { events active headers timeoutSeconds description url name } } }`,
      { id: ids[0], headers: { 'X-A': '1' } },
      p.key,
    );
    expect(updateWebhook.webhook).toEqual({
      events: ['b.created'],
      active: false,
      headers: { 'X-A': '1' },
      timeoutSeconds: 5,
      description: 'd',
      url: 'https://crud.example/0',
      name: 'hook 0',
    });
    const { deleteWebhook } = await h.ok(`mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`, { id: ids[0] }, p.key);
    expect(deleteWebhook.deletedWebhookId).toBe(ids[0]);
    expect(code(await h.gql(WEBHOOK, { id: ids[0] }, p.key))).toBe('NOT_FOUND');
  });

  it('never returns a secret after creation, and stores none in plaintext', async () => {
    const { createWebhook } = await h.ok(
      CREATE_WEBHOOK,
      { input: { url: 'https://s.example', events: ['*'], secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
      a.key,
    );
    expect(createWebhook.secret).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const introspection = await h.ok(`{ __type(name: "Webhook") { fields { name } } }`);
    expect(introspection.__type.fields.map((f: any) => f.name)).not.toContain('secret');
    const row = await h.deps.db.webhook.findUniqueOrThrow({ where: { id: createWebhook.webhook.id } });
    expect(JSON.stringify(row)).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });
});
