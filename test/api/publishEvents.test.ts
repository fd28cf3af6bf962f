import { onTestFinished, describe, expect, it } from 'vitest';
import { startApiProcess } from '../support/apiProcess.ts';
import { startHarness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';

const PUBLISH_MANY = /* GraphQL */ `
  mutation($e: [PublishEventItem!]!) {
    publishEvents(input: { events: $e }) { deliveryCount results { deliveryCount replayed event { id type data } } }
  }
`;

describe('publishEvents (bulk)', () => {
  it('publishes many events in one call, each with its own idempotency key, or refuses all of them', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const { projectId, key } = await h.createProject('Bulk');
    await h.ok(CREATE_WEBHOOK, { input: { url: 'http://127.0.0.1:9/a', events: ['order.*'] } }, key);
    await h.ok(CREATE_WEBHOOK, { input: { url: 'http://127.0.0.1:9/b', events: ['order.shipped'] } }, key);
    const count = async () => ({
      events: await h.deps.db.event.count({ where: { projectId } }),
      deliveries: await h.deps.db.delivery.count({ where: { projectId } }),
    });

    const first = await h.ok(
      PUBLISH_MANY,
      {
        e: [
          { type: 'order.shipped', data: { n: 1 }, idempotencyKey: 'k1' },
          { type: 'order.created', data: { n: 2 } },
          { type: 'user.created', data: { n: 3 } },
          { type: 'order.shipped', data: { n: 4 }, idempotencyKey: 'k1' },
        ],
      },
      key,
    );
    const results = first.publishEvents.results;
    expect(results.map((r: { deliveryCount: number; replayed: boolean }) => [r.deliveryCount, r.replayed])).toEqual([
      [2, false],
      [1, false],
      [0, false],
      [2, true],
    ]);
    // The same key twice in one call: the second is the first event, replayed.
    expect(results[3].event).toEqual(results[0].event);
    expect(results[1].event).toMatchObject({ type: 'order.created', data: { n: 2 } });
    expect(first.publishEvents.deliveryCount).toBe(3);
    expect(await count()).toEqual({ events: 3, deliveries: 3 });

    const again = await h.ok(PUBLISH_MANY, { e: [{ type: 'order.shipped', data: { n: 9 }, idempotencyKey: 'k1' }] }, key);
    expect(again.publishEvents).toMatchObject({ deliveryCount: 0, results: [{ replayed: true, event: { id: results[0].event.id } }] });

    const refused = await h.gql(
      PUBLISH_MANY,
      {
        e: [
          { type: 'order.ok', data: {} },
          { type: 'Not A Type', data: {} },
        ],
      },
      key,
    );
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.events.1' } });
    expect(refused.errors?.[0].message).toMatch(/^publishEvents\(input\.events\.1\.type\): /);
    const tooMany = await h.gql(PUBLISH_MANY, { e: Array.from({ length: 1001 }, () => ({ type: 'order.x', data: {} })) }, key);
    expect(tooMany.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.events' } });
    const none = await h.gql(PUBLISH_MANY, { e: [] }, key);
    expect(none.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await count()).toEqual({ events: 3, deliveries: 3 });
  });

  it('refuses data nested deeper than 64 levels with a clear error, and answers the next request at once', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const { projectId, key } = await h.createProject('Deep');
    // Written as text: JSON.stringify itself would run out of stack at these depths.
    const deep = (levels: number) => `${'{"d":'.repeat(levels - 1)}{"leaf":true}${'}'.repeat(levels - 1)}`;
    const publish = async (levels: number) => {
      const query = 'mutation($d: JSON!) { publishEvent(input: { type: "deep.one", data: $d }) { deliveryCount } }';
      const res = await fetch(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: `{"query":${JSON.stringify(query)},"variables":{"d":${deep(levels)}}}`,
      });
      return (await res.json()) as { data?: { publishEvent: { deliveryCount: number } }; errors?: { message: string; extensions?: { code?: string } }[] };
    };
    for (const levels of [65, 5000]) {
      expect((await publish(levels)).errors?.[0]).toMatchObject({
        message: 'publishEvent(input.data): may nest at most 64 levels deep',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    expect((await publish(64)).data?.publishEvent.deliveryCount).toBe(0);
    expect(await h.deps.db.event.count({ where: { projectId } })).toBe(1);
  });
});

describe('the API key cache', () => {
  it('refuses a revoked key on the next request on every replica', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    // A second API replica in a process of its own: its own key cache and its own Redis connections,
    // the same Postgres and Redis.
    const replicaUrl = await startApiProcess(h.config);
    const { key } = await h.createProject('Revoked');
    const viewerOn = async (url: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ webhooks(first: 1) { edges { cursor } } }' }),
      });
      return (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    };
    // Both replicas have the key cached now.
    expect((await viewerOn(h.url)).errors).toBeUndefined();
    expect((await viewerOn(replicaUrl)).errors).toBeUndefined();
    const { apiKeys } = await h.ok('{ apiKeys(first: 100) { edges { node { id name } } } }', {}, key);
    const keyId = apiKeys.edges.find((e: { node: { name: string } }) => e.node.name === 'test').node.id;
    await h.ok('mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }', { id: keyId });
    expect((await viewerOn(replicaUrl)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await viewerOn(h.url)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
