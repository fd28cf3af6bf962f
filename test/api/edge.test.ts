import pg from 'pg';
import {
  buildClientSchema,
  type GraphQLInputType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { send } from '../fuzz/answers.ts';
import type { Operation } from '../fuzz/operations.ts';

let h: Harness;
let p: { projectId: string; key: string };
let hookId: string;
let eventId: string;
let schema: GraphQLSchema;

// Every statement any pool of this process sends to Postgres (Prisma's adapter and our own pools
// both run on pg.Client).
let statements = 0;
const query = pg.Client.prototype.query;
beforeAll(async () => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  h = await startHarness();
  p = await h.createProject('Edge');
  hookId = (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://edge.example/hook', events: ['*'] } }, p.key)).createWebhook.webhook.id;
  eventId = (await h.ok(PUBLISH_EVENT, { input: { type: 'a.b', data: { x: 1 } } }, p.key)).publishEvent.event.id;
  schema = buildClientSchema(await h.ok(getIntrospectionQuery()));
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await h.close();
});

/** The answer's first error and how many statements Postgres ran while it was made. */
async function refusal(document: string, variables: Record<string, unknown> = {}, key: string | null = p.key) {
  const before = statements;
  const res = await h.gql(document, variables, key);
  return { error: res.errors?.[0], data: res.data, statements: statements - before };
}

describe('unstorable characters are refused before any query, naming the field', () => {
  it.each([
    ['an ID argument', `query($id: ID!) { webhook(id: $id) { id } }`, { id: 'whk_\u0000' }, 'id', /NUL/],
    ['a lone surrogate in an ID', `query($id: ID!) { event(id: $id) { id } }`, { id: 'evt_\ud800' }, 'id', /surrogate/],
    [
      'a nested input field',
      `mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { webhook { id } } }`,
      { i: { id: 'whk_x', description: 'a\u0000' } },
      'input.description',
      /NUL/,
    ],
    [
      'an item of a list',
      `mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret } }`,
      { i: { url: 'https://x.example', events: ['a.b', 'c\udfff'] } },
      'input.events.1',
      /surrogate/,
    ],
    [
      'a JSON key',
      `mutation($i: PublishEventInput!) { publishEvent(input: $i) { deliveryCount } }`,
      { i: { type: 'a.b', data: { 'k\u0000': 1 } } },
      'input.data',
      /NUL/,
    ],
    [
      'a string deep in JSON',
      `mutation($i: TestWebhookFilterInput!) { testWebhookFilter(input: $i) { matches } }`,
      { i: { type: 'a.b', data: { a: [{ b: '\ud800' }] }, filter: {} } },
      'input.data',
      /surrogate/,
    ],
    ['an inline literal', `{ delivery(id: "dlv_\\u0000") { id } }`, {}, 'id', /NUL/],
    [
      'an argument of a nested field',
      `query($t: String) { project(id: "${'prj_x'}") { stats(window: LAST_DAY, tenantId: $t) { total } } }`,
      { t: 'acme\u0000' },
      'tenantId',
      /NUL/,
    ],
  ])('%s', async (_what, document, variables, field, message) => {
    const { error, statements: ran } = await refusal(document, variables);
    expect(error?.extensions, JSON.stringify(error)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(field);
    // The key was looked up before (and is cached): this request ran nothing at all.
    expect(ran).toBe(0);
  });

  it('over a subscription too', async () => {
    const op: Operation = {
      kind: 'subscription',
      field: 'Subscription.deliveryUpdated',
      query: `subscription($w: ID) { deliveryUpdated(webhookId: $w) { id } }`,
      variables: { w: 'whk_\u0000' },
    };
    const answer = await send(h.url, op, { name: 'project key', key: p.key, valid: true });
    expect(answer.results).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'webhookId' } })] }]);
  });
});

describe('lengths, list sizes and JSON sizes have documented limits', () => {
  const UPDATE = `mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { webhook { description } } }`;

  it('a description of 2000 characters is taken, one of 2001 refused', async () => {
    expect((await h.ok(UPDATE, { i: { id: hookId, description: 'd'.repeat(2000) } }, p.key)).updateWebhook.webhook.description).toHaveLength(2000);
    const { error, statements: ran } = await refusal(UPDATE, { i: { id: hookId, description: 'd'.repeat(2001) } });
    expect(error).toMatchObject({ message: 'updateWebhook(input.description): may be at most 2000 characters', extensions: { code: 'BAD_USER_INPUT' } });
    expect(ran).toBe(0);
  });

  it.each([
    [
      'an event type of 129 characters',
      `mutation($i: SendTestEventInput!) { sendTestEvent(input: $i) { delivery { id } } }`,
      { i: { webhookId: 'whk_x', eventType: `a${'b'.repeat(128)}` } },
      /input\.eventType\): may be at most 128 characters/,
    ],
    ['an id of 65 characters', `query($id: ID!) { webhook(id: $id) { id } }`, { id: `whk_${'0'.repeat(61)}` }, /may be at most 64 characters/],
    [
      'data nested 200 levels',
      `mutation($i: SendTestEventInput!) { sendTestEvent(input: $i) { delivery { id } } }`,
      { i: { webhookId: 'whk_x', data: nest(200) } },
      /input\.data\): may nest at most 64 levels deep/,
    ],
    [
      'a filter over 8 KiB',
      `mutation($i: UpdateWebhookInput!) { updateWebhook(input: $i) { webhook { id } } }`,
      { i: { id: 'whk_x', filter: { type: 'x'.repeat(9000) } } },
      /input\.filter\): may be at most 8 KiB as JSON/,
    ],
    [
      '101 ids for nodes',
      `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      { ids: Array.from({ length: 101 }, () => 'whk_x') },
      /nodes\(ids\): may hold at most 100 items/,
    ],
  ])('%s is refused before any query', async (_what, document, variables, message) => {
    const { error, statements: ran } = await refusal(document, variables);
    expect(error?.extensions?.code, JSON.stringify(error)).toBe('BAD_USER_INPUT');
    expect(error?.message).toMatch(message);
    expect(ran).toBe(0);
  });

  it('each limit is in the field’s description', async () => {
    const fields = (schema.getType('UpdateWebhookInput') as import('graphql').GraphQLInputObjectType).getFields();
    expect(fields.description.description).toBe('At most 2000 characters.');
    expect(fields.filter.description).toMatch(/At most 8 KiB as JSON, nested at most 16 levels deep\.$/);
    expect(fields.events.description).toBe('At most 100 items; each of at most 128 characters.');
    expect(schema.getQueryType()!.getFields().webhook.args[0].description).toBe('At most 64 characters.');
  });
});

function nest(depth: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('malformed ids and ids of another kind', () => {
  it.each([
    ['an event id as a webhook', `{ webhook(id: "${'evt_'}0193") { id } }`],
    ['a webhook id as an event type', `mutation { updateEventType(input: { id: "whk_0193", description: "d" }) { eventType { id } } }`],
    ['no prefix at all', `{ delivery(id: "garbage") { id } }`],
    ['an empty id', `mutation { retryDelivery(input: { id: "" }) { delivery { id } } }`],
  ])('%s is NOT_FOUND', async (_what, document) => {
    const { error } = await refusal(document);
    expect(error?.extensions?.code, JSON.stringify(error)).toBe('NOT_FOUND');
  });

  it('node and nodes answer per id, null for what cannot be shown', async () => {
    expect((await h.ok(`{ node(id: "zzz_1") { id } }`, {}, p.key)).node).toBeNull();
    const { nodes } = await h.ok(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`,
      { ids: [hookId, 'zzz_1', 'whk_missing', 'garbage', eventId] },
      p.key,
    );
    expect(nodes).toEqual([{ id: hookId, __typename: 'Webhook' }, null, null, null, { id: eventId, __typename: 'Event' }]);
    expect((await h.ok(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ['Unknown_1', hookId] })).nodes).toEqual([null, { id: hookId }]);
  });
});

/** One operation per root field, with the least arguments it takes. */
function everyOperation(): Operation[] {
  const least = (type: GraphQLInputType): unknown => {
    if (!isNonNullType(type)) return undefined;
    const inner = type.ofType;
    if (isListType(inner)) return [];
    const named = getNamedType(inner);
    if (isInputObjectType(named)) {
      return Object.fromEntries(Object.values(named.getFields()).flatMap((f) => (isNonNullType(f.type) ? [[f.name, least(f.type)]] : [])));
    }
    if (isEnumType(named)) return named.getValues()[0].value;
    return { ID: 'whk_0193', String: 'a.b', Int: 1, Float: 1, Boolean: true, DateTime: new Date().toISOString(), JSON: {} }[named.name];
  };
  return (['query', 'mutation', 'subscription'] as const).flatMap((kind) => {
    const root = kind === 'query' ? schema.getQueryType() : kind === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    return Object.values(root!.getFields()).map((field) => {
      const args = field.args.filter((a) => isNonNullType(a.type));
      const defs = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const named = getNamedType(field.type);
      const selection = 'getFields' in named ? ' { __typename }' : '';
      const call = `${field.name}${args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : ''}${selection}`;
      return {
        kind,
        field: `${root!.name}.${field.name}`,
        query: `${kind} Anonymous${defs ? `(${defs})` : ''} { ${call} }`,
        variables: Object.fromEntries(args.map((a) => [a.name, least(a.type)])),
      };
    });
  });
}

describe('authentication comes before anything else', () => {
  const viewers = [
    { name: 'no key', key: null, message: /^Send an API key/ },
    { name: 'a junk key', key: 'wrong', message: /^this API key is not valid \(unknown or revoked\)$/ },
    { name: 'a forged tenant token', key: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', message: /^Invalid tenant token: forged/ },
  ];

  it.each(viewers)('with $name, every operation is UNAUTHENTICATED and Postgres runs nothing', async ({ key, message }) => {
    const operations = everyOperation();
    expect(operations.length).toBeGreaterThan(30);
    const before = statements;
    for (const op of operations) {
      const answer = await send(h.url, op, { name: 'viewer', key, valid: false });
      const errors = answer.results.flatMap((r) => (r as { errors?: { message: string; extensions?: { code?: string } }[] }).errors ?? []);
      expect(
        errors.map((e) => e.extensions?.code),
        `${op.query}: ${JSON.stringify(answer.results)}`,
      ).toEqual(['UNAUTHENTICATED']);
      expect(errors[0].message).toMatch(message);
    }
    expect(statements - before).toBe(0);
  });

  it('an unknown or revoked key is told it is not valid; only its own lookup reaches Postgres, once', async () => {
    const { createApiKey } = await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "gone" }) { key apiKey { id } } }`, { p: p.projectId });
    await h.ok(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }`, { id: createApiKey.apiKey.id }, p.key);
    const unknown = `hpk_${'A'.repeat(43)}`;
    for (const key of [unknown, createApiKey.key]) {
      const first = await refusal(`query($id: ID!) { webhook(id: $id) { id } }`, { id: hookId }, key);
      expect(first.error).toMatchObject({ message: 'this API key is not valid (unknown or revoked)', extensions: { code: 'UNAUTHENTICATED' } });
      expect(first.statements).toBeLessThanOrEqual(1);
      expect((await refusal(`mutation { deleteWebhook(input: { id: "${hookId}" }) { deletedWebhookId } }`, {}, key)).statements).toBe(0);
    }
    expect(await h.deps.db.webhook.count({ where: { id: hookId } })).toBe(1);
  });

  it('reading the schema needs no key', async () => {
    expect((await h.gql(`{ __typename }`, {}, null)).data).toEqual({ __typename: 'Query' });
  });

  it('the counter does see the statements of an authenticated request', async () => {
    expect((await refusal(`query($id: ID!) { webhook(id: $id) { id } }`, { id: hookId }, TEST_ADMIN_KEY)).statements).toBeGreaterThan(0);
  });
});
