import { connect } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';

let h: Harness;
let p: { projectId: string; key: string };
let hookId: string;

beforeAll(async () => {
  h = await startHarness();
  p = await h.createProject('Hostile');
  hookId = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://x.example', events: ['*'] } }, p.key)).createWebhook.webhook.id;
});
afterAll(() => h.close());

const firstError = async (query: string, variables: Record<string, unknown> = {}) => (await h.gql(query, variables, p.key)).errors?.[0];

describe('query limits', () => {
  it('refuses a deep query', async () => {
    let inner = 'id';
    for (let i = 0; i < 6; i++) inner = `webhook { deliveries(first: 1) { edges { node { ${inner} } } } }`;
    const err = await firstError(`query { delivery(id: "dlv_x") { ${inner} } }`);
    expect(err?.message).toMatch(/depth limit of 12 exceeded/);
    expect(err?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: webhook(id: "${hookId}") { id }`).join(' ');
    const err = await firstError(`query { ${aliases} }`);
    expect(err?.message).toMatch(/Aliases limit of 15 exceeded/);
  });

  it('refuses a query of too many tokens', async () => {
    const fields = Array.from({ length: 2500 }, () => 'id').join(' ');
    const err = await firstError(`query { webhook(id: "${hookId}") { ${fields} } }`);
    expect(err?.message).toMatch(/Token limit of 2000 exceeded/);
  });

  it('refuses an expensive query', async () => {
    const err = await firstError(
      `query { webhooks(first: 100) { edges { node { deliveries(first: 100) { edges { node { attempts(first: 100) { edges { node { id url } } } } } } } } } }`,
    );
    expect(err?.message).toMatch(/Cost limit of 200000 exceeded/);
  });

  it('accepts a full dashboard page', async () => {
    const res = await h.gql(
      `query { deliveries(first: 100) { edges { node { id status event { id type } webhook { id } attempts(first: 50) { edges { node { id attemptNumber url requestHeaders responseStatus responseHeaders responseBody durationMs error succeeded createdAt } } } } } } }`,
      {},
      p.key,
    );
    expect(res.errors).toBeUndefined();
  });
});

describe('page size and cursors', () => {
  it.each([
    ['first over 100', `{ webhooks(first: 101) { edges { node { id } } } }`, /at most 100/],
    ['negative first', `{ webhooks(first: -1) { edges { node { id } } } }`, /negative/],
    ['a forged cursor', `{ webhooks(first: 1, after: "bm90LWEtY3Vyc29y") { edges { node { id } } } }`, /cursor/i],
  ])('%s is BAD_USER_INPUT', async (_what, query, message) => {
    const err = await firstError(query);
    expect(err?.extensions?.code, JSON.stringify(err)).toBe('BAD_USER_INPUT');
    expect(err?.message).toMatch(message);
  });

  it('100 is allowed', async () => {
    expect((await h.gql(`{ webhooks(first: 100) { edges { node { id } } } }`, {}, p.key)).errors).toBeUndefined();
  });
});

describe('HTTP-level protections', () => {
  const post = (body: string, headers: Record<string, string>) => fetch(`${h.url}/graphql`, { method: 'POST', body, headers });
  /** The status the server answers a POST with these headers, before the body (or beyond `start`) is sent. */
  const statusBeforeBody = (headers: Record<string, string>, start?: string) =>
    new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}`, ...headers },
      });
      req.on('response', (r) => {
        resolve(r.statusCode);
        req.destroy();
      });
      req.on('error', reject);
      if (start) req.write(start);
      req.flushHeaders();
    });

  it('refuses a body over the limit before reading it', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1024 * 1024) } });
    const res = await post(big, { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` });
    expect(res.status).toBe(413);
    // Announced but never sent: the answer can only come from the declared length.
    expect(await statusBeforeBody({ 'content-length': String(2 * 1024 * 1024) })).toBe(413);
  });

  // Yoga's own streaming limit is off (app.ts): these two are what stand in for it.
  it('refuses a body that does not declare its length', async () => {
    expect(await statusBeforeBody({ 'transfer-encoding': 'chunked' }, '{"query":"{ __typename }"')).toBe(411);
  });

  it('reads no more of a body than its declared length', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const { port } = new URL(h.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.end(
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${TEST_ADMIN_KEY}\r\n` +
          `content-length: ${body.length}\r\n\r\n${body}GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`,
      );
    });
    // The declared bytes are the whole query; what follows them is the next request on the socket.
    const answers = answer.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(answers[0]).toContain('{"data":{"__typename":"Query"}}');
    expect(answers[1]).toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses a simple (non-preflighted) cross-site request', async () => {
    const form = await post('query={__typename}', { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${p.key}` });
    expect(form.status).toBe(403);
    const textPlain = await post(JSON.stringify({ query: 'mutation { deleteWebhook(input: {id: "x"}) { deletedWebhookId } }' }), {
      'content-type': 'text/plain',
    });
    expect(textPlain.status).toBe(403);
    const get = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(403);
    const getWithHeader = await fetch(`${h.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(getWithHeader.status).toBe(200);
  });

  it('still serves GraphiQL to a browser', async () => {
    const res = await fetch(`${h.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('GraphiQL');
  });
});

describe('introspection', () => {
  const INTROSPECT = `{ __schema { queryType { name } } }`;
  it('is on by default, for Apollo tooling', async () => {
    expect((await h.ok(INTROSPECT, {}, p.key)).__schema.queryType.name).toBe('Query');
  });

  it('is refused with HOOKPOST_INTROSPECTION=false', async () => {
    const closed = await startHarness({ HOOKPOST_INTROSPECTION: 'false' });
    onTestFinished(() => closed.close());
    const res = await closed.gql(INTROSPECT);
    expect(res.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await closed.ok(`{ node(id: "prj_x") { id } }`)).node).toBeNull();
  });
});
