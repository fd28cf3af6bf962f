// Payload filters through the API: refused at write time with nothing written, tried with
// testWebhookFilter, and applied when publishing, with real receivers behind a real worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as policyCortex from '../fixtures/receivers/policycortex.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const CREATE = /* GraphQL */ `
  mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id filter } } }
`;
const UPDATE = /* GraphQL */ `
  mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { id filter updatedAt } } }
`;
const TRY = /* GraphQL */ `
  mutation($input: TestWebhookFilterInput!) { testWebhookFilter(input: $input) { matches } }
`;
const PUBLISH_MANY = /* GraphQL */ `
  mutation($input: PublishEventsInput!) { publishEvents(input: $input) { deliveryCount results { deliveryCount event { id } } } }
`;

// PolicyCortex's documented per-endpoint filter: high-severity violations in production.
const POLICYCORTEX_FILTER = {
  'data.violation.severity': { $in: ['HIGH', 'CRITICAL'] },
  'data.violation.tags.environment': 'production',
};
const violation = (severity: string, environment: string) => ({
  type: 'policy.violation.created',
  data: { violation: { id: `viol_${severity}_${environment}`, severity, status: 'OPEN', tags: { environment }, compliance_frameworks: ['SOC2'] } },
});

let h: Harness;
let key: string;
let receiver: Receiver;
let everything: Receiver;
let secret = '';

beforeAll(async () => {
  h = await startHarness({
    HOOKPOST_HEADER_PREFIX: 'X-PolicyCortex',
    HOOKPOST_SIGNATURE_FORMAT: 'sha256=hex',
    HOOKPOST_ENVELOPE: 'id,type,created=timestamp,data',
  });
  h.startWorker();
  ({ key } = await h.createProject('PolicyCortex'));
  receiver = await startReceiver();
  everything = await startReceiver();
  // Their receiver code checks each signature: a 2xx means it accepted the delivery.
  receiver.respondWith((req, res) => (policyCortex.accepts(req, secret) ? res.writeHead(200).end('OK') : res.writeHead(401).end('Invalid signature')));
});
afterAll(async () => {
  await Promise.all([receiver.close(), everything.close()]);
  await h.close();
});

const typesOf = (reqs: ReceivedRequest[]) => reqs.map((r) => JSON.parse(r.body).data.violation.id).sort();
const deliveriesTo = (webhookId: string) => h.deps.db.delivery.count({ where: { webhookId } });

describe('refused filters', () => {
  const refused: [string, unknown, RegExp][] = [
    ['an unknown operator', { 'data.x': { $foo: 1 } }, /unknown operator \$foo/],
    ['$where', { $where: 'sleep(100000)' }, /unknown operator \$where/],
    ['$expr', { $expr: { $gt: ['$data.a', 1] } }, /unknown operator \$expr/],
    ['$function', { 'data.x': { $function: { body: 'return true', args: [], lang: 'js' } } }, /unknown operator \$function/],
    ['a non-object', ['data.x'], /JSON object/],
    ['a string', 'data.x', /JSON object/],
    ['too deep', JSON.parse(`${'{"$and":['.repeat(10)}{"data.x":1}${']}'.repeat(10)}`), /nest at most 16/],
    ['too large', { 'data.x': { $in: Array.from({ length: 2000 }, (_, i) => `value-${i}`) } }, /at most 8 KiB/],
    ['an unsafe regex', { 'data.x': { $regex: '(a+)+$' } }, /exponential/],
    ['a too-long regex', { 'data.x': { $regex: 'x'.repeat(257) } }, /at most 256 characters/],
  ];

  it.each(refused)('createWebhook refuses %s with BAD_USER_INPUT and writes nothing', async (_what, filter, message) => {
    const before = await h.deps.db.webhook.count();
    const res = await h.gql(CREATE, { input: { url: receiver.url, events: ['*'], filter } }, key);
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/^(createWebhook\(input\.filter\)|filter): /);
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(await h.deps.db.webhook.count()).toBe(before);
  });

  it.each(refused)('updateWebhook refuses %s and leaves the webhook as it was', async (_what, filter, message) => {
    const { createWebhook } = await h.ok(CREATE, { input: { url: 'https://x.example/hook', events: ['*'], filter: { type: 'a.b' } } }, key);
    const before = await h.deps.db.webhook.findUniqueOrThrow({ where: { id: createWebhook.webhook.id } });
    const res = await h.gql(UPDATE, { input: { id: createWebhook.webhook.id, name: 'renamed', filter } }, key);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(await h.deps.db.webhook.findUniqueOrThrow({ where: { id: createWebhook.webhook.id } })).toEqual(before);
  });

  it('testWebhookFilter refuses what createWebhook refuses', async () => {
    for (const [, filter, message] of refused) {
      const res = await h.gql(TRY, { input: { filter, type: 'a.b', data: {} } }, key);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect((await h.gql(TRY, { input: { filter: {}, type: 'a.b', data: {} } }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a filter nested 5,000 levels deep is refused, not a stack overflow', async () => {
    // Written as text: JSON.stringify itself would run out of stack at this depth.
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const send = async (query: string) => {
      const res = await fetch(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: `{"query":${JSON.stringify(query)},"variables":{"f":${deep}}}`,
      });
      return ((await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] }).errors?.[0];
    };
    const before = await h.deps.db.webhook.count();
    for (const query of [
      'mutation($f: JSON) { createWebhook(input: { url: "https://x.example", events: ["*"], filter: $f }) { secret } }',
      'mutation($f: JSON!) { testWebhookFilter(input: { filter: $f, type: "a.b", data: {} }) { matches } }',
    ]) {
      const field = query.includes('createWebhook') ? 'createWebhook' : 'testWebhookFilter';
      expect(await send(query)).toMatchObject({ message: `${field}(input.filter): may nest at most 16 levels deep`, extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect(await h.deps.db.webhook.count()).toBe(before);
  });

  it('a hostile regex is refused at once, and the server answers the next request at once', async () => {
    let started = performance.now();
    const res = await h.gql(CREATE, { input: { url: receiver.url, events: ['*'], filter: { 'data.s': { $regex: '^(a|a?)+$' } } } }, key);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/exponential/);
    expect(performance.now() - started).toBeLessThan(5000);
    started = performance.now();
    expect((await h.ok(TRY, { input: { filter: { type: 'a.b' }, type: 'a.b', data: {} } }, key)).testWebhookFilter.matches).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('testWebhookFilter', () => {
  it.each([
    [POLICYCORTEX_FILTER, violation('HIGH', 'production'), true],
    [POLICYCORTEX_FILTER, violation('LOW', 'production'), false],
    [POLICYCORTEX_FILTER, violation('CRITICAL', 'staging'), false],
    [{ type: { $regex: '^policy\\.' } }, violation('LOW', 'staging'), true],
    [{ id: { $regex: '^evt_' }, timestamp: { $regex: '^\\d{4}-\\d\\d-\\d\\dT.*Z$' } }, violation('LOW', 'staging'), true],
  ])('%j on %j → %s', async (filter, event, matches) => {
    expect((await h.ok(TRY, { input: { filter, ...event } }, key)).testWebhookFilter.matches).toBe(matches);
  });
});

describe('publishing with filters', () => {
  it('delivers only the events that match, and deliveryCount says so', async () => {
    const { createWebhook } = await h.ok(
      CREATE,
      {
        input: {
          url: receiver.url,
          events: ['policy.violation.created', 'policy.violation.resolved'],
          secret: 'your-webhook-secret',
          filter: POLICYCORTEX_FILTER,
        },
      },
      key,
    );
    secret = createWebhook.secret;
    const filtered = createWebhook.webhook.id;
    expect(createWebhook.webhook.filter).toEqual(POLICYCORTEX_FILTER);
    await h.ok(CREATE, { input: { url: everything.url, events: ['*'] } }, key);

    const events = [
      [violation('HIGH', 'production'), 2],
      [violation('LOW', 'production'), 1],
      [violation('CRITICAL', 'staging'), 1],
      [violation('CRITICAL', 'production'), 2],
      // Matches the filter, but the filtered webhook does not subscribe to the type.
      [{ ...violation('HIGH', 'production'), type: 'compliance.status.changed' }, 1],
    ] as const;
    for (const [event, count] of events) {
      expect((await h.ok(PUBLISH_EVENT, { input: event }, key)).publishEvent.deliveryCount).toBe(count);
    }
    // The batch path too: two events, one of them filtered out.
    const { publishEvents } = await h.ok(PUBLISH_MANY, { input: { events: [violation('HIGH', 'production'), violation('MEDIUM', 'production')] } }, key);
    expect(publishEvents.results.map((r: { deliveryCount: number }) => r.deliveryCount)).toEqual([2, 1]);
    expect(publishEvents.deliveryCount).toBe(3);

    await everything.waitFor(7);
    const received = await receiver.waitFor(3);
    expect(typesOf(received)).toEqual(['viol_CRITICAL_production', 'viol_HIGH_production', 'viol_HIGH_production']);
    expect(received.every((r) => JSON.parse(r.body).type === 'policy.violation.created')).toBe(true);
    // Only these deliveries exist for it, so no other request can follow.
    expect(await deliveriesTo(filtered)).toBe(3);
    await waitUntil(async () => (await h.deps.db.delivery.count({ where: { webhookId: filtered, status: 'SUCCEEDED' } })) === 3);
  });

  it('updateWebhook changing the filter takes effect on the next publish; null clears it', async () => {
    const hookUrl = `${everything.url}?updated`;
    const { createWebhook } = await h.ok(CREATE, { input: { url: hookUrl, events: ['policy.violation.created'], filter: POLICYCORTEX_FILTER } }, key);
    const id = createWebhook.webhook.id;
    const publish = async (severity: string) => {
      const before = await deliveriesTo(id);
      await h.ok(PUBLISH_EVENT, { input: violation(severity, 'production') }, key);
      return (await deliveriesTo(id)) - before;
    };
    expect(await publish('HIGH')).toBe(1); // compiled and cached by now
    expect(await publish('LOW')).toBe(0);

    const { updateWebhook } = await h.ok(UPDATE, { input: { id, filter: { 'data.violation.severity': 'LOW' } } }, key);
    expect(updateWebhook.webhook.filter).toEqual({ 'data.violation.severity': 'LOW' });
    expect(await publish('LOW')).toBe(1);
    expect(await publish('HIGH')).toBe(0);

    // A field other than filter leaves it alone.
    expect((await h.ok(UPDATE, { input: { id, name: 'low only' } }, key)).updateWebhook.webhook.filter).toEqual({ 'data.violation.severity': 'LOW' });
    expect(await publish('HIGH')).toBe(0);

    expect((await h.ok(UPDATE, { input: { id, filter: null } }, key)).updateWebhook.webhook.filter).toBeNull();
    expect((await h.deps.db.webhook.findUniqueOrThrow({ where: { id } })).filter).toBeNull();
    expect(await publish('HIGH')).toBe(1);
    expect(await publish('LOW')).toBe(1);
    await waitUntil(() => everything.requests.filter((r) => r.path.endsWith('?updated')).length === 4);
  });

  it('a regex filter over a 256 KiB payload does not hold the server up', async () => {
    // `.*needle` backtracks for about a minute on this payload in V8's default engine.
    const { createWebhook } = await h.ok(
      CREATE,
      { input: { url: `${everything.url}?big`, events: ['blob.stored'], filter: { 'data.blob': { $regex: '.*needle' } } } },
      key,
    );
    const blob = 'a'.repeat(255 * 1024);
    let started = performance.now();
    const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: { type: 'blob.stored', data: { blob } } }, key);
    expect(publishEvent.deliveryCount).toBe(1); // the catch-all webhook only
    expect(await deliveriesTo(createWebhook.webhook.id)).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
    started = performance.now();
    expect((await h.ok(PUBLISH_EVENT, { input: { type: 'blob.stored', data: { blob: `${blob.slice(10)}needle` } } }, key)).publishEvent.deliveryCount).toBe(2);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
