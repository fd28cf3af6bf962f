import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, startReplica } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';

describe('the subscriber cache', () => {
  it('follows every routing change on the very next publish, whoever made it, and ignores what routing does not read', async () => {
    const h = await startHarness();
    onTestFinished(() => h.close());
    // A second API process, with its own cache, told of nothing.
    const otherUrl = await startReplica(h);
    const { projectId, key } = await h.createProject('Routing changes');
    const publishThere = async (data: Record<string, unknown>, tenantId?: string) => {
      const res = await fetch(`${otherUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: PUBLISH_EVENT, variables: { input: { type: 'order.paid', data, ...(tenantId ? { tenantId } : {}) } } }),
      });
      const body = (await res.json()) as { data?: { publishEvent: { event: { id: string } } }; errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      const { rows } = await h.deps.sql.query<{ webhook_id: string }>('SELECT webhook_id FROM deliveries WHERE event_id = $1', [
        body.data!.publishEvent.event.id,
      ]);
      return rows.map((r) => r.webhook_id).sort();
    };
    const create = async (input: Record<string, unknown>) =>
      (await h.ok(CREATE_WEBHOOK, { input: { url: 'https://receiver.example/hook', ...input } }, key)).createWebhook.webhook.id as string;
    const version = async () =>
      (await h.deps.sql.query<{ v: string }>('SELECT webhooks_version::text AS v FROM projects WHERE id = $1', [projectId])).rows[0].v;

    const a = await create({ events: ['order.*'] });
    expect(await publishThere({ n: 1 })).toEqual([a]);

    // Added through the first process: the other one's cached list is refused by the insert itself.
    const b = await create({ events: ['order.paid'] });
    expect(await publishThere({ n: 2 })).toEqual([a, b].sort());

    // Switched off straight in Postgres, as a worker disabling a failing endpoint does.
    await h.deps.sql.query('UPDATE webhooks SET active = false WHERE id = $1', [a]);
    expect(await publishThere({ n: 3 })).toEqual([b]);

    // A filter set through the API.
    await h.ok(
      `mutation($id: ID!, $f: JSON) { updateWebhook(input: { id: $id, filter: $f }) { webhook { id } } }`,
      { id: b, f: { 'data.n': { $gte: 10 } } },
      key,
    );
    expect(await publishThere({ n: 4 })).toEqual([]);
    expect(await publishThere({ n: 10 })).toEqual([b]);

    // A tenant's route is cached beside the project-wide one, and follows changes as well.
    const t = await create({ events: ['order.paid'], tenantId: 'tenant-1' });
    expect(await publishThere({ n: 11 }, 'tenant-1')).toEqual([b, t].sort());
    expect(await publishThere({ n: 12 })).toEqual([b]);
    await h.ok(`mutation($id: ID!) { deleteWebhook(input: { id: $id }) { deletedWebhookId } }`, { id: b }, key);
    expect(await publishThere({ n: 13 }, 'tenant-1')).toEqual([t]);
    expect(await publishThere({ n: 14 })).toEqual([]);

    // A worker's bookkeeping on a webhook (failure streak, circuit) leaves the routing version alone.
    const before = await version();
    await h.deps.sql.query(`UPDATE webhooks SET consecutive_failures = 3, circuit_state = 'OPEN' WHERE id = $1`, [t]);
    expect(await version()).toBe(before);
    await h.deps.sql.query('UPDATE webhooks SET events = events WHERE id = $1', [t]);
    expect(await version()).toBe(before);
  });
});
