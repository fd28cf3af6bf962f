// Hookpost as an Apollo Federation v2 subgraph beside a second, small subgraph that references its
// Webhook entity: composed with @apollo/composition, queried through @apollo/gateway in-process.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getOperationAST, parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { schema as defaultSchema } from '../../src/api/graphql/schema.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';

let h: Harness;
let tickets: { url: string; server: Server };
let executor: Awaited<ReturnType<ApolloGateway['load']>>['executor'];
let gateway: ApolloGateway;
let supergraphSdl: string;
let mine: { projectId: string; key: string };
let myWebhook: string;
let foreignWebhook: string;

/** A help-desk subgraph: tickets that point at Hookpost webhooks, and open tickets on each webhook. */
const TICKETS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Ticket @key(fields: "id") { id: ID! title: String! webhook: Webhook }
  type Webhook @key(fields: "id") { id: ID! openTickets: [Ticket!]! }
  type Query { tickets: [Ticket!]! }
`;
const ticketRows: { id: string; title: string; webhookId: string }[] = [];

async function startTicketsSubgraph() {
  const schema = buildSubgraphSchema({
    typeDefs: parse(TICKETS_SDL),
    resolvers: {
      Query: { tickets: () => ticketRows },
      Ticket: { webhook: (t: { webhookId: string }) => ({ __typename: 'Webhook', id: t.webhookId }) },
      Webhook: {
        __resolveReference: (ref: { id: string }) => ref,
        openTickets: (w: { id: string }) => ticketRows.filter((t) => t.webhookId === w.id),
      },
    } as never,
  });
  const server = createServer(createYoga({ schema, graphqlEndpoint: '/graphql', logging: false }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

/** One GraphQL request through the gateway, as a router would hand it over (the key travels on). */
async function viaGateway(query: string, key: string) {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  return executor({
    request: { query, variables: {} },
    document,
    operation,
    operationName: operation.name?.value ?? null,
    source: query,
    queryHash: createHash('sha256').update(query).digest('hex'),
    schema: gateway.schema!,
    schemaHash: 'test' as never,
    context: { authorization: `Bearer ${key}` },
    logger: console,
    cache: new Map() as never,
    metrics: {},
    overallCachePolicy: {},
  });
}

beforeAll(async () => {
  h = await startHarness({ HOOKPOST_FEDERATION: 'true' });
  tickets = await startTicketsSubgraph();
  mine = await h.createProject('Federated');
  const other = await h.createProject('Someone else');
  const hook = async (key: string, name: string) =>
    (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://example.com/hooks', events: ['*'], name } }, key)).createWebhook.webhook.id as string;
  myWebhook = await hook(mine.key, 'orders endpoint');
  foreignWebhook = await hook(other.key, 'not yours');
  ticketRows.push(
    { id: 't1', title: 'Orders endpoint returns 500', webhookId: myWebhook },
    { id: 't2', title: 'Someone else’s problem', webhookId: foreignWebhook },
  );

  // The subgraph SDL is what a router fetches: `_service { sdl }` of the running server.
  const { _service } = await h.ok('{ _service { sdl } }', {}, null);
  const composed = composeServices([
    { name: 'hookpost', typeDefs: parse(_service.sdl), url: `${h.url}/graphql` },
    { name: 'tickets', typeDefs: parse(TICKETS_SDL), url: tickets.url },
  ]);
  if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
  supergraphSdl = composed.supergraphSdl;
  gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization: string }>({
        url,
        willSendRequest: ({ request, context }) => request.http?.headers.set('authorization', context.authorization),
      }),
  });
  ({ executor } = await gateway.load());
});

afterAll(async () => {
  await gateway?.stop();
  tickets?.server.closeAllConnections();
  await new Promise((resolve) => tickets?.server.close(resolve));
  await h?.close();
});

describe('HOOKPOST_FEDERATION', () => {
  it('is off by default, and the default schema has no federation fields', () => {
    expect(loadConfig({}).federation).toBe(false);
    expect(loadConfig({ HOOKPOST_FEDERATION: 'true' }).federation).toBe(true);
    expect(() => loadConfig({ HOOKPOST_FEDERATION: 'yes' })).toThrow(/HOOKPOST_FEDERATION/);
    expect(Object.keys(defaultSchema.getQueryType()!.getFields())).not.toContain('_service');
    expect(Object.keys(defaultSchema.getQueryType()!.getFields())).not.toContain('_entities');
  });

  it('serves a v2 subgraph whose Project, Webhook, Event and Delivery are entities keyed by id', async () => {
    const { _service } = await h.ok('{ _service { sdl } }', {}, null);
    expect(_service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])');
    for (const type of ['Project', 'Webhook', 'Event', 'Delivery']) {
      expect(_service.sdl).toMatch(new RegExp(`type ${type} implements Node\\s+@key\\(fields: "id"\\)`));
    }
    expect(supergraphSdl).toContain('join__type(graph: HOOKPOST, key: "id")');
  });
});

describe('through the gateway', () => {
  it('resolves a ticket’s webhook from Hookpost, only within the key’s project', async () => {
    const res = await viaGateway('query Tickets { tickets { title webhook { id name url project { name } } } }', mine.key);
    expect(res.errors).toBeUndefined();
    expect(res.data!.tickets).toEqual([
      {
        title: 'Orders endpoint returns 500',
        webhook: { id: myWebhook, name: 'orders endpoint', url: 'https://example.com/hooks', project: { name: 'Federated' } },
      },
      { title: 'Someone else’s problem', webhook: null },
    ]);
  });

  it('extends a Hookpost webhook with the tickets subgraph’s field', async () => {
    const res = await viaGateway(`query { webhook(id: "${myWebhook}") { name active openTickets { title } } }`, mine.key);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ webhook: { name: 'orders endpoint', active: true, openTickets: [{ title: 'Orders endpoint returns 500' }] } });
  });

  it('passes Hookpost’s errors through with their codes', async () => {
    const res = await viaGateway(`query { webhook(id: "${foreignWebhook}") { name openTickets { title } } }`, mine.key);
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
