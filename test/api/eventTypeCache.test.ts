import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createEventCatalog } from '../../src/api/services/eventCatalog.ts';
import { createSchemaCompiler } from '../../src/api/services/eventSchema.ts';
import { createRedis } from '../../src/core/redis.ts';
import { startHarness, startReplica } from '../support/harness.ts';
import { PUBLISH_EVENT } from '../support/operations.ts';
import { waitUntil } from '../support/wait.ts';

describe('the validator cache', () => {
  it('follows a change made through another API process on the next publish', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    // A second API process, with its own cache.
    const otherUrl = await startReplica(h);
    const { projectId, key } = await h.createProject('Two replicas');
    const publishThere = async (type: string, data: unknown) => {
      const res = await fetch(`${otherUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: PUBLISH_EVENT, variables: { input: { type, data } } }),
      });
      return (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    };
    const events = () => h.deps.db.event.count({ where: { projectId } });

    const { createEventType } = await h.ok(
      `mutation($s: JSON) { createEventType(input: { name: "order.paid", schema: $s }) { eventType { id } } }`,
      { s: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } },
      key,
    );
    const id = createEventType.eventType.id;
    // The other process now holds the project's catalog and the compiled validator.
    expect((await publishThere('order.paid', { total: 5 })).errors).toBeUndefined();
    expect((await publishThere('order.paid', { total: 'five' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    await h.ok(
      `mutation($id: ID!, $s: JSON) { updateEventType(input: { id: $id, schema: $s }) { eventType { id } } }`,
      { id, s: { type: 'object', properties: { total: { type: 'number', minimum: 100 } }, required: ['total'] } },
      key,
    );
    const refused = await publishThere('order.paid', { total: 5 });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', validationErrors: [{ instancePath: '/total', keyword: 'minimum' }] } });

    await h.ok(`mutation($p: ID!) { updateProject(input: { id: $p, strictEventTypes: true }) { project { id } } }`, { p: projectId }, key);
    expect((await publishThere('order.unknown', {})).errors?.[0].message).toMatch(/not in the project's event-type catalog/);

    await h.ok(`mutation($p: ID!) { updateProject(input: { id: $p, strictEventTypes: false }) { project { id } } }`, { p: projectId }, key);
    await h.ok(`mutation($id: ID!) { deleteEventType(input: { id: $id }) { deletedEventTypeId } }`, { id }, key);
    expect((await publishThere('order.paid', { total: 'anything goes' })).errors).toBeUndefined();
    expect((await publishThere('order.unknown', {})).errors).toBeUndefined();
    expect(await events()).toBe(3);
  });
});

describe('the validator cache while Redis is away', () => {
  it('is not trusted before the connection is ready, and is emptied when it comes back', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const { projectId } = await h.createProject('Redis away');
    const db = h.deps.db;
    const strict = (on: boolean) => db.project.update({ where: { id: projectId }, data: { strictEventTypes: on } });
    const refusedUnknown = async (catalog: ReturnType<typeof createEventCatalog>) =>
      (await catalog.refusal(projectId, [{ type: 'not.listed', data: {} }]))?.field === 'type';
    // Changes below are written straight to Postgres: no message tells the caches.

    // Never connected: every call reads Postgres.
    const away = createRedis(h.config.redis, h.deps.logger, { lazyConnect: true });
    const uncached = createEventCatalog({ sql: h.deps.sql, redis: away, broadcaster: h.deps.broadcaster });
    onTestFinished(async () => {
      await uncached.close();
      away.disconnect();
    });
    expect(away.status).toBe('wait');
    expect(await refusedUnknown(uncached)).toBe(false);
    await strict(true);
    expect(await refusedUnknown(uncached)).toBe(true);
    await strict(false);
    expect(await refusedUnknown(uncached)).toBe(false);

    // Connected: cached (so a silent change goes unseen) until the connection comes back.
    const redis = createRedis(h.config.redis, h.deps.logger);
    const cached = createEventCatalog({ sql: h.deps.sql, redis, broadcaster: h.deps.broadcaster });
    onTestFinished(async () => {
      await cached.close();
      await redis.quit();
    });
    await waitUntil(() => redis.status === 'ready', 10_000, 'redis to be ready');
    expect(await refusedUnknown(cached)).toBe(false);
    await strict(true);
    expect(await refusedUnknown(cached)).toBe(false);
    const back = once(redis, 'ready');
    redis.disconnect(true);
    await back;
    expect(await refusedUnknown(cached)).toBe(true);
  });
});

describe('compiled schemas', () => {
  it('are compiled once per schema text, even while Redis is away and every call reads Postgres', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    const { key, projectId } = await h.createProject('Compiled once');
    const { createEventType } = await h.ok(
      `mutation($s: JSON) { createEventType(input: { name: "order.paid", schema: $s }) { eventType { id } } }`,
      { s: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } },
      key,
    );
    const compiled: unknown[] = [];
    const away = createRedis(h.config.redis, h.deps.logger, { lazyConnect: true });
    const catalog = createEventCatalog({
      sql: h.deps.sql,
      redis: away,
      broadcaster: h.deps.broadcaster,
      compile: (schema) => {
        compiled.push(schema);
        return createSchemaCompiler().compile(schema);
      },
    });
    onTestFinished(async () => {
      await catalog.close();
      away.disconnect();
    });
    const refused = async (total: unknown) => (await catalog.refusal(projectId, [{ type: 'order.paid', data: { total } }]))?.field;

    expect(await refused(5)).toBeUndefined();
    expect(await refused('five')).toBe('data');
    expect(await refused(7)).toBeUndefined();
    expect(compiled).toHaveLength(1);

    // Written straight to Postgres: no message tells the catalog, which reads the new text anyway.
    await h.deps.db.eventType.update({
      where: { id: createEventType.eventType.id },
      data: { schema: { type: 'object', properties: { total: { type: 'number', minimum: 100 } }, required: ['total'] } },
    });
    expect(await refused(5)).toBe('data');
    expect(await refused(500)).toBeUndefined();
    expect(compiled).toHaveLength(2);
    expect(compiled[1]).toMatchObject({ properties: { total: { minimum: 100 } } });
  });
});
