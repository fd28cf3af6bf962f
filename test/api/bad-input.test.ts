import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';

let h: Harness;
let p: { projectId: string; key: string };
let hookId: string;

beforeAll(async () => {
  h = await startHarness();
  p = await h.createProject('Bad input');
  hookId = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://ok.example/hook', events: ['*'] } }, p.key)).createWebhook.webhook.id;
});
afterAll(() => h.close());

async function rowCounts() {
  const db = h.deps.db;
  return { webhooks: await db.webhook.count(), events: await db.event.count(), deliveries: await db.delivery.count() };
}

async function expectRefused(query: string, variables: Record<string, unknown>, codeWanted: string, message?: RegExp) {
  const before = await rowCounts();
  const res = await h.gql(query, variables, p.key);
  expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(codeWanted);
  if (message) expect(res.errors?.[0]?.message).toMatch(message);
  expect(await rowCounts()).toEqual(before);
}

describe('createWebhook refuses bad input and writes nothing', () => {
  it.each([
    ['a relative URL', { url: '/hook', events: ['*'] }, /url/],
    ['a non-http URL', { url: 'ftp://x.example/hook', events: ['*'] }, /url/],
    ['a URL with credentials', { url: 'https://user:pw@x.example', events: ['*'] }, /url/],
    ['no events', { url: 'https://x.example', events: [] }, /events/],
    ['an empty event name', { url: 'https://x.example', events: [''] }, /events/],
    ['a malformed event name', { url: 'https://x.example', events: ['order..shipped'] }, /events/],
    ['a short secret', { url: 'https://x.example', events: ['*'], secret: 'short' }, /secret/],
    ['a broken whsec_ secret', { url: 'https://x.example', events: ['*'], secret: 'whsec_***notbase64***' }, /secret/],
    ['a zero timeout', { url: 'https://x.example', events: ['*'], timeoutSeconds: 0 }, /timeoutSeconds/],
    ['a header overriding the signature', { url: 'https://x.example', events: ['*'], headers: { 'webhook-signature': 'x' } }, /cannot be overridden/],
    [
      'a header overriding the branded signature',
      { url: 'https://x.example', events: ['*'], headers: { 'X-Hookpost-Signature': 'x' } },
      /cannot be overridden/,
    ],
    ['a header with a line break', { url: 'https://x.example', events: ['*'], headers: { 'X-A': 'a\r\nX-B: b' } }, /one line/],
    ['headers that are not an object', { url: 'https://x.example', events: ['*'], headers: ['a'] }, /headers/],
  ])('%s', async (_what, input, message) => {
    await expectRefused(CREATE_WEBHOOK, { input }, 'BAD_USER_INPUT', message);
  });
});

describe('publishEvent refuses bad input and writes nothing', () => {
  it.each([
    ['an empty type', { type: '', data: {} }, /type/],
    ['a wildcard type', { type: 'order.*', data: {} }, /type/],
    ['data that is an array', { type: 'a.b', data: [1, 2] }, /JSON object/],
    ['data that is a string', { type: 'a.b', data: 'hello' }, /JSON object/],
    ['data that is null', { type: 'a.b', data: null }, /data/],
    ['data over 256 KiB', { type: 'a.b', data: { blob: 'x'.repeat(256 * 1024) } }, /256 KiB/],
  ])('%s', async (_what, input, message) => {
    await expectRefused(PUBLISH_EVENT, { input }, 'BAD_USER_INPUT', message);
  });

  it('accepts data just under the limit', async () => {
    const res = await h.ok(PUBLISH_EVENT, { input: { type: 'a.b', data: { blob: 'x'.repeat(256 * 1024 - 20) } } }, p.key);
    expect(res.publishEvent.deliveryCount).toBe(1);
  });
});

describe('unknown ids are NOT_FOUND', () => {
  it.each([
    ['webhook', `query { webhook(id: "whk_missing") { id } }`],
    ['event', `query { event(id: "evt_missing") { id } }`],
    ['delivery', `query { delivery(id: "dlv_missing") { id } }`],
    ['deliveries of a webhook', `query { deliveries(webhookId: "whk_missing") { edges { node { id } } } }`],
    ['updateWebhook', `mutation { updateWebhook(input: { id: "whk_missing", active: false }) { webhook { id } } }`],
    ['sendTestEvent', `mutation { sendTestEvent(input: { webhookId: "whk_missing" }) { delivery { id } } }`],
  ])('%s', async (_what, query) => {
    await expectRefused(query, {}, 'NOT_FOUND');
  });

  it('publishing to a project that does not exist (admin key)', async () => {
    const res = await h.gql(PUBLISH_EVENT, { input: { projectId: 'prj_missing', type: 'a.b', data: {} } });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('unexpected errors', () => {
  it('are masked: no message, no stack trace; a request id the client can quote is in the answer, its header and the log line', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const broken = buildApp(
      { ...h.deps, logger },
      {
        authenticate: async () => {
          throw new Error('password=hunter2 at /srv/db.ts:42');
        },
      },
    );
    const url = await broken.listen(0);
    onTestFinished(() => broken.close());
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `query { webhook(id: "${hookId}") { id } }` }),
    });
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/stack|\.ts:\d+/);
    const [error] = JSON.parse(text).errors;
    expect(error).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.extensions.requestId).toBe(requestId);
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.requestId === requestId);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0].err.message).toContain('hunter2');
  });

  it('keep the request id a proxy in front chose, if it is a plain one', async () => {
    const ask = (id: string) =>
      fetch(`${h.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: '{"query":"{ __typename }"}' });
    expect((await ask('edge-7f3a.1')).headers.get('x-request-id')).toBe('edge-7f3a.1');
    expect((await ask('a b;c')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('documents that do not fit the schema', () => {
  it('are GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await h.gql(`query { webhook(id: "x") { noSuchField } }`, {}, p.key);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('plain http endpoints', () => {
  it('are refused when HOOKPOST_ALLOW_HTTP=false (the production default)', async () => {
    const strict = await startHarness({ HOOKPOST_ALLOW_HTTP: 'false' });
    onTestFinished(() => strict.close());
    const res = await strict.gql(CREATE_WEBHOOK, {
      input: { projectId: (await strict.createProject()).projectId, url: 'http://x.example/hook', events: ['*'] },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/must use https/);
    expect(await strict.deps.db.webhook.count()).toBe(0);
  });
});
