// Apollo Client 4 (no React) against a live Hookpost: automatic persisted queries over HTTP, cache
// normalisation by id, a mutation, and a subscription over graphql-ws receiving a real attempt.
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache, type TypedDocumentNode } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { MARKER_IDS } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let project: { projectId: string; key: string };
const clients: ApolloClient[] = [];

/** The normalised cache's entry for a key such as `Webhook:whk_…`. */
const cached = (client: ApolloClient, key: string) => (client.cache.extract() as Record<string, object | undefined>)[key];
const sha256 = (query: string) => createHash('sha256').update(query).digest('hex');

/** The bodies an Apollo client POSTed, so a test can see what went over the wire. */
interface Wire {
  bodies: { query?: string; extensions?: { persistedQuery?: { sha256Hash: string } } }[];
}

function apollo(key: string, opts: { hash?: (q: string) => string } = {}): { client: ApolloClient; wire: Wire } {
  const wire: Wire = { bodies: [] };
  const http = new HttpLink({
    uri: `${h.url}/graphql`,
    headers: { authorization: `Bearer ${key}` },
    fetch: async (input, init) => {
      wire.bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init);
    },
  });
  const ws = new GraphQLWsLink(
    createClient({
      url: `${h.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
    }),
  );
  const persisted = new PersistedQueryLink({ sha256: opts.hash ?? sha256 });
  const link = ApolloLink.split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    ws,
    persisted.concat(http),
  );
  const client = new ApolloClient({ cache: new InMemoryCache(), link });
  clients.push(client);
  return { client, wire };
}

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  project = await h.createProject('Apollo');
});

afterAll(async () => {
  for (const c of clients) c.stop();
  await h?.close();
  await receiver?.close();
});

const PROJECT_NAME = gql`
  query ProjectName($id: ID!) {
    project(id: $id) { id name }
  }
`;

describe('automatic persisted queries', () => {
  it('sends a query by its hash; the server learns it once, and then the hash alone is enough', async () => {
    const first = apollo(project.key);
    const { data } = await first.client.query({ query: PROJECT_NAME, variables: { id: project.projectId } });
    expect(data).toEqual({ project: { __typename: 'Project', id: project.projectId, name: 'Apollo' } });
    // Hash only → PERSISTED_QUERY_NOT_FOUND → the same hash with the query, which the server stores.
    expect(first.wire.bodies.map((b) => [Boolean(b.query), b.extensions?.persistedQuery?.sha256Hash])).toEqual([
      [false, sha256(first.wire.bodies[1].query!)],
      [true, sha256(first.wire.bodies[1].query!)],
    ]);

    const second = apollo(project.key);
    await second.client.query({ query: PROJECT_NAME, variables: { id: project.projectId } });
    expect(second.wire.bodies).toHaveLength(1);
    expect(second.wire.bodies[0].query).toBeUndefined();
  });

  it('refuses a query whose hash does not match it', async () => {
    const liar = apollo(project.key, { hash: () => sha256('{ __typename }') });
    await expect(liar.client.query({ query: PROJECT_NAME, variables: { id: project.projectId } })).rejects.toThrow(/PersistedQueryMismatch/);
    expect(liar.wire.bodies.at(-1)?.query).toContain('ProjectName');

    // Nothing was stored under the wrong hash: asking by that hash alone still finds nothing.
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${project.key}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } } }),
    });
    expect(res.status).toBe(404);
    expect((await res.json()).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

interface Attempt {
  id: string;
  attemptNumber: number;
  responseStatus: number | null;
  succeeded: boolean;
  delivery: { id: string; status: string; event: { id: string; type: string } };
}

const WEBHOOKS: TypedDocumentNode<{ webhooks: { edges: { node: { id: string; name: string | null } }[] } }> = gql`
  query Webhooks {
    webhooks(first: 10) { edges { node { id name url active } } }
  }
`;
const RENAME: TypedDocumentNode<unknown, { id: string; name: string }> = gql`
  mutation Rename($id: ID!, $name: String!) {
    updateWebhook(input: { id: $id, name: $name }) { webhook { id name } }
  }
`;
const ATTEMPTS: TypedDocumentNode<{ deliveryAttemptCreated: Attempt }, { webhookId: string }> = gql`
  subscription Attempts($webhookId: ID!) {
    deliveryAttemptCreated(webhookId: $webhookId) {
      id attemptNumber responseStatus succeeded
      delivery { id status event { id type } }
    }
  }
`;
const PUBLISH: TypedDocumentNode<{ publishEvent: { deliveryCount: number; event: { id: string } } }, { type: string; data: unknown }> = gql`
  mutation Publish($type: String!, $data: JSON!) {
    publishEvent(input: { type: $type, data: $data }) { deliveryCount event { id type } }
  }
`;

describe('Apollo Client end to end', () => {
  let webhookId: string;

  beforeAll(async () => {
    const { createWebhook } = await h.ok(
      'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }',
      { i: { url: receiver.url, events: ['order.*'], name: 'orders' } },
      project.key,
    );
    webhookId = createWebhook.webhook.id;
  });

  it('normalises by id: a mutation result updates the list already in the cache', async () => {
    const { client, wire } = apollo(project.key);
    const { data } = await client.query({ query: WEBHOOKS });
    expect(data!.webhooks.edges.map((e) => e.node.id)).toEqual([webhookId]);
    const cacheKey = client.cache.identify({ __typename: 'Webhook', id: webhookId })!;
    expect(cacheKey).toBe(`Webhook:${webhookId}`);
    expect(cached(client, cacheKey)).toMatchObject({ id: webhookId, name: 'orders' });

    await client.mutate({ mutation: RENAME, variables: { id: webhookId, name: 'orders v2' } });
    const requests = wire.bodies.length;
    const again = await client.query({ query: WEBHOOKS }); // cache-first: answered from the cache
    expect(wire.bodies.length).toBe(requests);
    expect(again.data!.webhooks.edges[0].node).toMatchObject({ id: webhookId, name: 'orders v2' });
  });

  it('receives a live delivery attempt over graphql-ws for an event its own mutation published', async () => {
    const { client } = apollo(project.key);
    const attempts: Attempt[] = [];
    const errors: unknown[] = [];
    let markers = 0;
    const subscription = client.subscribe({ query: ATTEMPTS, variables: { webhookId } }).subscribe({
      next: (r) => {
        if (r.error) errors.push(r.error);
        else if (r.data!.deliveryAttemptCreated) attempts.push(r.data!.deliveryAttemptCreated);
        else markers++; // a marker names no stored attempt: it resolves to null
      },
      error: (e) => errors.push(e),
    });
    // Live once a marker on this webhook's stream has come through.
    await waitUntil(
      () => {
        if (markers > 0) return true;
        h.deps.broadcaster.publish('deliveryAttemptCreated', { ...MARKER_IDS, webhookId, projectId: project.projectId });
        return false;
      },
      10_000,
      'a marker on the subscription',
    );

    const { data } = await client.mutate({ mutation: PUBLISH, variables: { type: 'order.shipped', data: { orderId: 'ord_7' } } });
    expect(data!.publishEvent.deliveryCount).toBe(1);
    await receiver.waitFor(1);
    const attempt = await waitUntil(() => attempts[0], 10_000, 'an attempt on the subscription');
    subscription.unsubscribe();

    expect(errors).toEqual([]);
    expect(attempt).toMatchObject({ succeeded: true, responseStatus: 200, delivery: { event: { id: data!.publishEvent.event.id } } });
    expect(cached(client, `DeliveryAttempt:${attempt.id}`)).toMatchObject({ succeeded: true });
  });
});
