import { describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { createCoreDeps } from '../../src/core/deps.ts';
import { startHarness } from '../support/harness.ts';
import { PUBLISH_EVENT } from '../support/operations.ts';

describe('the validator cache', () => {
  it('follows a change made through another API process on the next publish', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    // A second API process: its own connections to the same Postgres and Redis, its own cache.
    const otherDeps = await createCoreDeps(h.config);
    const other = buildApp(otherDeps);
    const otherUrl = await other.listen(0);
    onTestFinished(async () => {
      await other.close();
      await otherDeps.close();
    });
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
