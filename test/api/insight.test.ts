// Delivery insight through GraphQL: stats over known attempt sets, filters, totalCount, cursors, viewer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { insertAttempt, minutesAgo, percentileCont } from '../support/rows.ts';

let h: Harness;
let p: { projectId: string; key: string };
let q: { projectId: string; key: string };
const hooks: Record<'a' | 'b' | 'c' | 'qa', string> = { a: '', b: '', c: '', qa: '' };

interface Planned {
  webhook: keyof typeof hooks;
  deliveryId: string;
  at: Date;
  durationMs: number;
  status: number | null;
}
const planned: Planned[] = [];
const HOUR = 60;
const DAY = 24 * HOUR;

async function webhook(key: string, events: string[]): Promise<string> {
  const res = await h.ok(CREATE_WEBHOOK, { input: { url: 'http://127.0.0.1:9/hook', events, retryPolicy: { schedule: [60] } } }, key);
  return res.createWebhook.webhook.id;
}

async function publish(key: string, type: string): Promise<string[]> {
  const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: { type, data: { n: 1 } } }, key);
  const { deliveries } = await h.ok(`query($e: ID) { deliveries(eventId: $e) { edges { node { id } } } }`, { e: publishEvent.event.id }, key);
  return deliveries.edges.map((e: any) => e.node.id);
}

/** One event per row, one attempt on its delivery at the row's time, the delivery settled accordingly. */
async function plan(key: string, hook: keyof typeof hooks, type: string, rows: [minutes: number, durationMs: number, status: number | null][]) {
  for (const [minutes, durationMs, status] of rows) {
    const [deliveryId] = await publish(key, type);
    const at = minutesAgo(minutes);
    await insertAttempt(h.deps.db, { deliveryId, attemptNumber: 1, at, durationMs, responseStatus: status });
    const ok = status !== null && status >= 200 && status < 300;
    await h.deps.db.delivery.update({
      where: { id: deliveryId },
      data: { attemptCount: 1, status: ok ? 'SUCCEEDED' : status === 500 || status === 404 ? 'RETRYING' : 'FAILED' },
    });
    planned.push({ webhook: hook, deliveryId, at, durationMs, status });
  }
}

function expectedStats(rows: Planned[], windowMinutes: number) {
  const inWindow = rows.filter((r) => r.at.getTime() >= Date.now() - windowMinutes * 60_000);
  const ok = (r: Planned) => r.status !== null && r.status >= 200 && r.status < 300;
  const latest = (list: Planned[]) => (list.length ? new Date(Math.max(...list.map((r) => r.at.getTime()))).toISOString() : null);
  const succeeded = inWindow.filter(ok).length;
  return {
    total: inWindow.length,
    succeeded,
    failed: inWindow.length - succeeded,
    successRate: inWindow.length ? succeeded / inWindow.length : null,
    p50LatencyMs: percentileCont(
      inWindow.map((r) => r.durationMs),
      0.5,
    ),
    p95LatencyMs: percentileCont(
      inWindow.map((r) => r.durationMs),
      0.95,
    ),
    lastSuccessAt: latest(inWindow.filter(ok)),
    lastFailureAt: latest(inWindow.filter((r) => !ok(r))),
  };
}

const STATS_FIELDS = 'total succeeded failed successRate p50LatencyMs p95LatencyMs lastSuccessAt lastFailureAt';

beforeAll(async () => {
  h = await startHarness();
  p = await h.createProject('Insight');
  q = await h.createProject('Other tenant');
  hooks.a = await webhook(p.key, ['order.*']);
  hooks.b = await webhook(p.key, ['invoice.*']);
  hooks.c = await webhook(p.key, ['never.*']);
  hooks.qa = await webhook(q.key, ['order.*']);
  await plan(p.key, 'a', 'order.created', [
    [5, 10, 200],
    [15, 20, 200],
    [25, 30, 500],
    [35, 40, 204],
    [50, 1000, null],
    [2 * HOUR, 100, 200],
    [20 * HOUR, 200, 503],
    [3 * DAY, 5000, null],
    [10 * DAY, 7, 200],
  ]);
  await plan(p.key, 'b', 'invoice.paid', [
    [10, 50, 200],
    [30, 60, 404],
  ]);
  await plan(q.key, 'qa', 'order.created', [[5, 999, 500]]);
});

afterAll(async () => {
  await h.close();
});

describe('viewer', () => {
  it('tells a project key its project and an admin key its scope', async () => {
    const mine = await h.ok('{ viewer { scope project { id name } } }', {}, p.key);
    expect(mine.viewer).toEqual({ scope: 'PROJECT', project: { id: p.projectId, name: 'Insight' } });
    const admin = await h.ok('{ viewer { scope project { id } } }');
    expect(admin.viewer).toEqual({ scope: 'ADMIN', project: null });
    const anonymous = await h.gql('{ viewer { scope } }', {}, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('Webhook.stats and Project.stats', () => {
  it.each([
    ['LAST_HOUR', HOUR],
    ['LAST_DAY', DAY],
    ['LAST_WEEK', 7 * DAY],
  ])("count a webhook's attempts in %s, with percentiles and the latest success and failure", async (window, minutes) => {
    const { webhook } = await h.ok(
      `query($id: ID!, $w: StatsWindow!) { webhook(id: $id) { stats(window: $w) { ${STATS_FIELDS} } } }`,
      { id: hooks.a, w: window },
      p.key,
    );
    const expected = expectedStats(
      planned.filter((r) => r.webhook === 'a'),
      minutes,
    );
    expect(expected.total).toBeGreaterThan(0);
    expect(webhook.stats).toEqual({ ...expected, successRate: expect.closeTo(expected.successRate!, 10) });
  });

  it('reports an idle webhook as zero attempts with no rate, latency or dates', async () => {
    const { webhook } = await h.ok(`query($id: ID!) { webhook(id: $id) { stats(window: LAST_WEEK) { ${STATS_FIELDS} } } }`, { id: hooks.c }, p.key);
    expect(webhook.stats).toEqual({
      total: 0,
      succeeded: 0,
      failed: 0,
      successRate: null,
      p50LatencyMs: null,
      p95LatencyMs: null,
      lastSuccessAt: null,
      lastFailureAt: null,
    });
  });

  it("sums a project's webhooks (no other tenant's) and counts pending, retrying and held deliveries as backlog", async () => {
    // A delivery nobody attempted yet, and webhook b disabled: its retrying delivery is held, still open.
    const [pending] = await publish(p.key, 'order.waiting');
    await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { active } } }`, { id: hooks.b }, p.key);
    try {
      const { viewer } = await h.ok(`{ viewer { project { stats(window: LAST_DAY) { ${STATS_FIELDS} backlog } } } }`, {}, p.key);
      const { backlog, ...stats } = viewer.project.stats;
      const expected = expectedStats(
        planned.filter((r) => r.webhook === 'a' || r.webhook === 'b'),
        DAY,
      );
      expect(stats).toEqual({ ...expected, successRate: expect.closeTo(expected.successRate!, 10) });
      const open = planned.filter((r) => r.webhook !== 'qa' && (r.status === 500 || r.status === 404)).map((r) => r.deliveryId);
      expect(open.length).toBe(2);
      const openNow = await h.deps.db.delivery.findMany({ where: { projectId: p.projectId, status: { in: ['PENDING', 'RETRYING'] } }, select: { id: true } });
      expect(openNow.map((d) => d.id).sort()).toEqual([...open, pending].sort());
      expect(backlog).toBe(3);
    } finally {
      await h.ok(`mutation($id: ID!) { updateWebhook(input: { id: $id, active: true }) { webhook { active } } }`, { id: hooks.b }, p.key);
    }
  });

  it("keeps another project's webhook stats NOT_FOUND", async () => {
    const res = await h.gql(`query($id: ID!) { webhook(id: $id) { stats(window: LAST_HOUR) { total } } }`, { id: hooks.a }, q.key);
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

const ids = (conn: any): string[] => conn.edges.map((e: any) => e.node.id);
const newestFirst = (list: string[]) => [...list].sort().reverse();
const deliveriesOf = (pred: (r: Planned) => boolean) => newestFirst(planned.filter(pred).map((r) => r.deliveryId));

describe('deliveries filters', () => {
  const DELIVERIES = `query($status: DeliveryStatus, $eventType: String, $cls: ResponseClass, $since: DateTime, $until: DateTime, $w: ID) {
    deliveries(status: $status, eventType: $eventType, responseClass: $cls, since: $since, until: $until, webhookId: $w, first: 100) {
      totalCount edges { node { id } }
    }
  }`;

  it.each<[string, Record<string, unknown>, (r: Planned) => boolean]>([
    ['status FAILED (the dead letters)', { status: 'FAILED' }, (r) => r.webhook !== 'qa' && (r.status === null || r.status === 503)],
    ['event type', { eventType: 'invoice.paid' }, (r) => r.webhook === 'b'],
    ['a 5xx answer', { cls: 'HTTP_5XX' }, (r) => r.webhook !== 'qa' && r.status !== null && r.status >= 500],
    ['a 4xx answer', { cls: 'HTTP_4XX' }, (r) => r.webhook !== 'qa' && r.status === 404],
    ['no answer at all', { cls: 'NONE' }, (r) => r.webhook !== 'qa' && r.status === null],
    ['a 2xx answer on one webhook', { cls: 'HTTP_2XX', w: 'a' }, (r) => r.webhook === 'a' && r.status !== null && r.status < 300],
  ])('by %s, newest first, with totalCount', async (_title, vars, pred) => {
    const variables = { ...vars, w: vars.w ? hooks[vars.w as 'a'] : undefined };
    const { deliveries } = await h.ok(DELIVERIES, variables, p.key);
    const expected = deliveriesOf(pred);
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(deliveries)).toEqual(expected);
    expect(deliveries.totalCount).toBe(expected.length);
  });

  it('by creation time, since inclusive and until exclusive', async () => {
    const mark = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const late = [...(await publish(p.key, 'order.late')), ...(await publish(p.key, 'order.late'))];
    const after = await h.ok(DELIVERIES, { since: mark.toISOString() }, p.key);
    expect(ids(after.deliveries)).toEqual(newestFirst(late));
    const before = await h.ok(DELIVERIES, { until: mark.toISOString(), w: hooks.a }, p.key);
    expect(ids(before.deliveries)).not.toContain(late[0]);
    expect(ids(before.deliveries)).toEqual(expect.arrayContaining(deliveriesOf((r) => r.webhook === 'a')));
    const bad = await h.gql(DELIVERIES, { since: mark.toISOString(), until: mark.toISOString() }, p.key);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
  });

  it('counts without loading a page, and counts nested connections too', async () => {
    const { deliveries } = await h.ok('{ deliveries(status: FAILED, first: 1) { totalCount edges { node { id attempts { totalCount } } } } }', {}, p.key);
    expect(deliveries.edges).toHaveLength(1);
    expect(deliveries.totalCount).toBe(deliveriesOf((r) => r.webhook !== 'qa' && (r.status === null || r.status === 503)).length);
    expect(deliveries.edges[0].node.attempts.totalCount).toBe(1);
    const { webhook } = await h.ok('query($id: ID!) { webhook(id: $id) { deliveries(status: SUCCEEDED) { totalCount } } }', { id: hooks.a }, p.key);
    expect(webhook.deliveries.totalCount).toBe(planned.filter((r) => r.webhook === 'a' && r.status !== null && r.status < 300).length);
  });

  it('keeps cursors stable while new deliveries arrive', async () => {
    const query = `query($w: ID!, $after: String) { deliveries(webhookId: $w, first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const before = ids((await h.ok(`query($w: ID!) { deliveries(webhookId: $w, first: 100) { edges { node { id } } } }`, { w: hooks.a }, p.key)).deliveries);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; ; page++) {
      const { deliveries }: any = await h.ok(query, { w: hooks.a, after }, p.key);
      seen.push(...ids(deliveries));
      // New rows land while we page: they are newer than every cursor, so they never shift a page.
      if (page === 0) await publish(p.key, 'order.during');
      if (!deliveries.pageInfo.hasNextPage) break;
      after = deliveries.pageInfo.endCursor;
    }
    expect(seen).toEqual(before);
  });
});

describe('attempts: the attempt log', () => {
  const ATTEMPTS = `query($w: ID, $ok: Boolean, $eventType: String, $cls: ResponseClass, $since: DateTime, $until: DateTime) {
    attempts(webhookId: $w, succeeded: $ok, eventType: $eventType, responseClass: $cls, since: $since, until: $until, first: 100) {
      totalCount edges { node { id createdAt responseStatus succeeded delivery { id } } }
    }
  }`;
  const mine = (r: Planned) => r.webhook !== 'qa';
  const inMinutes = (from: number, to: number) => (r: Planned) => r.at.getTime() <= Date.now() - from * 60_000 && r.at.getTime() > Date.now() - to * 60_000;

  it.each<[string, Record<string, unknown>, (r: Planned) => boolean]>([
    ['everything the key may see', {}, mine],
    ['one webhook', { w: 'a' }, (r) => r.webhook === 'a'],
    ['failures', { ok: false }, (r) => mine(r) && !(r.status !== null && r.status < 300)],
    ['event type', { eventType: 'invoice.paid' }, (r) => r.webhook === 'b'],
    ['4xx answers', { cls: 'HTTP_4XX' }, (r) => mine(r) && r.status === 404],
    ['no answer', { cls: 'NONE', w: 'a' }, (r) => r.webhook === 'a' && r.status === null],
    ['the last hour', { since: minutesAgo(HOUR) }, (r) => mine(r) && inMinutes(0, HOUR)(r)],
    ['a week up to a day ago', { since: minutesAgo(7 * DAY), until: minutesAgo(DAY) }, (r) => mine(r) && inMinutes(DAY, 7 * DAY)(r)],
  ])('by %s, newest first', async (_title, vars, pred) => {
    const variables = { ...vars, w: vars.w ? hooks[vars.w as 'a'] : undefined };
    const { attempts } = await h.ok(ATTEMPTS, variables, p.key);
    const expected = planned.filter(pred).sort((x, y) => y.at.getTime() - x.at.getTime());
    expect(expected.length).toBeGreaterThan(0);
    expect(attempts.edges.map((e: any) => e.node.delivery.id)).toEqual(expected.map((r) => r.deliveryId));
    expect(attempts.edges.map((e: any) => e.node.createdAt)).toEqual(expected.map((r) => r.at.toISOString()));
    expect(attempts.totalCount).toBe(expected.length);
  });

  it("shows another project's webhook as NOT_FOUND and its attempts not at all", async () => {
    const foreign = await h.gql(ATTEMPTS, { w: hooks.a }, q.key);
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const { attempts } = await h.ok(ATTEMPTS, {}, q.key);
    expect(attempts.edges.map((e: any) => e.node.delivery.id)).toEqual(planned.filter((r) => r.webhook === 'qa').map((r) => r.deliveryId));
  });
});
