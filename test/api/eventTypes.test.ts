import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const CREATE = /* GraphQL */ `
  mutation($input: CreateEventTypeInput!) {
    createEventType(input: $input) { eventType { id name description schema example deprecated createdAt project { id } } }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation($input: UpdateEventTypeInput!) { updateEventType(input: $input) { eventType { id name description schema example deprecated } } }
`;
const DELETE = `mutation($id: ID!) { deleteEventType(input: { id: $id }) { deletedEventTypeId } }`;
const LIST = /* GraphQL */ `
  query($p: ID, $first: Int, $after: String, $all: Boolean) {
    eventTypes(projectId: $p, first: $first, after: $after, includeDeprecated: $all) {
      edges { node { id name deprecated } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const PUBLISH_MANY = `mutation($e: [PublishEventItem!]!) { publishEvents(input: { events: $e }) { deliveryCount } }`;

const ORDER_SCHEMA = {
  type: 'object',
  properties: { orderId: { type: 'string', pattern: '^ord_[a-z0-9]+$' }, total: { type: 'number', minimum: 0 } },
  required: ['orderId', 'total'],
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function rows(projectId: string) {
  const db = h.deps.db;
  return {
    eventTypes: await db.eventType.count({ where: { projectId } }),
    events: await db.event.count({ where: { projectId } }),
    deliveries: await db.delivery.count({ where: { projectId } }),
    webhooks: await db.webhook.count({ where: { projectId } }),
  };
}

describe('the catalog', () => {
  it('creates, reads, pages, updates and deletes event types', async () => {
    const p = await h.createProject('Catalog');
    const { createEventType } = await h.ok(
      CREATE,
      { input: { name: 'order.shipped', description: 'An order left the warehouse', schema: ORDER_SCHEMA, example: { orderId: 'ord_1', total: 12.5 } } },
      p.key,
    );
    const shipped = createEventType.eventType;
    expect(shipped).toMatchObject({
      name: 'order.shipped',
      description: 'An order left the warehouse',
      schema: ORDER_SCHEMA,
      example: { orderId: 'ord_1', total: 12.5 },
      deprecated: false,
      project: { id: p.projectId },
    });
    expect(shipped.id).toMatch(/^ety_[0-9a-f]{32}$/);
    // Key order survives the round trip (json, not jsonb).
    expect(Object.keys(shipped.schema)).toEqual(['type', 'properties', 'required']);
    expect((await h.ok(`query($id: ID!) { node(id: $id) { ... on EventType { name } } }`, { id: shipped.id }, p.key)).node).toEqual({ name: 'order.shipped' });

    for (const name of ['a.one', 'b.two', 'c.three', 'd.four']) await h.ok(CREATE, { input: { name } }, p.key);
    const duplicate = await h.gql(CREATE, { input: { name: 'order.shipped' } }, p.key);
    expect(duplicate.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'name' } });

    // Paging by name, two at a time.
    const names: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const { eventTypes }: any = await h.ok(LIST, { first: 2, after }, p.key);
      names.push(...eventTypes.edges.map((e: any) => e.node.name));
      if (!eventTypes.pageInfo.hasNextPage) break;
      after = eventTypes.pageInfo.endCursor;
    }
    expect(names).toEqual(['a.one', 'b.two', 'c.three', 'd.four', 'order.shipped']);

    // Deprecated: listed only on request, still publishable.
    const b = (await h.ok(LIST, { first: 100 }, p.key)).eventTypes.edges.find((e: any) => e.node.name === 'b.two').node;
    const { updateEventType } = await h.ok(UPDATE, { input: { id: b.id, deprecated: true, description: 'Use c.three' } }, p.key);
    expect(updateEventType.eventType).toMatchObject({ name: 'b.two', deprecated: true, description: 'Use c.three' });
    expect((await h.ok(LIST, { first: 100 }, p.key)).eventTypes.edges.map((e: any) => e.node.name)).not.toContain('b.two');
    expect((await h.ok(LIST, { first: 100, all: true }, p.key)).eventTypes.edges.map((e: any) => e.node.name)).toContain('b.two');
    expect((await h.ok(PUBLISH_EVENT, { input: { type: 'b.two', data: { x: 1 } } }, p.key)).publishEvent.event.type).toBe('b.two');

    // The admin key names the project; another project's key sees nothing of it.
    expect((await h.ok(LIST, { p: p.projectId, first: 100 })).eventTypes.edges).toHaveLength(4);
    const other = await h.createProject('Other');
    expect((await h.gql(LIST, { p: p.projectId }, other.key)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await h.gql(UPDATE, { input: { id: b.id, deprecated: false } }, other.key)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await h.gql(DELETE, { id: b.id }, other.key)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await h.ok(`query($id: ID!) { node(id: $id) { id } }`, { id: b.id }, other.key)).node).toBeNull();
    expect((await h.gql(CREATE, { input: { name: 'x.y' } })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await h.gql(LIST, {}, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    expect((await h.ok(DELETE, { id: b.id }, p.key)).deleteEventType.deletedEventTypeId).toBe(b.id);
    expect(await h.deps.db.eventType.findUnique({ where: { id: b.id } })).toBeNull();
    expect((await h.gql(DELETE, { id: b.id }, p.key)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('lets a tenant token read the catalog but not change it, nor the project', async () => {
    const p = await h.createProject('Catalog for tenants');
    const { createEventType } = await h.ok(CREATE, { input: { name: 'alert.created', example: { id: 'a1' } } }, p.key);
    const id = createEventType.eventType.id;
    const { createTenantToken } = await h.ok(`mutation { createTenantToken(input: { tenantId: "acme" }) { token } }`, {}, p.key);
    const tenant = createTenantToken.token as string;
    expect((await h.ok(LIST, { first: 10 }, tenant)).eventTypes.edges.map((e: any) => e.node.name)).toEqual(['alert.created']);
    expect((await h.ok(`query($id: ID!) { node(id: $id) { ... on EventType { name } } }`, { id }, tenant)).node).toEqual({ name: 'alert.created' });
    const before = await rows(p.projectId);
    const refused = [
      await h.gql(CREATE, { input: { name: 'alert.resolved' } }, tenant),
      await h.gql(UPDATE, { input: { id, description: 'changed' } }, tenant),
      await h.gql(DELETE, { id }, tenant),
      await h.gql(`mutation($id: ID!) { updateProject(input: { id: $id, strictEventTypes: true }) { project { id } } }`, { id: p.projectId }, tenant),
    ];
    expect(refused.map((r) => r.errors?.[0].extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(await rows(p.projectId)).toEqual(before);
    const stored = await h.deps.db.eventType.findUniqueOrThrow({ where: { id } });
    expect(stored.description).toBeNull();
    expect((await h.deps.db.project.findUniqueOrThrow({ where: { id: p.projectId } })).strictEventTypes).toBe(false);
  });

  it('refuses a bad schema or an example that does not fit it, and writes nothing', async () => {
    const p = await h.createProject('Bad schemas');
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown type', { name: 'a.b', schema: { type: 'strin' } }, /^createEventType\(input\.schema\): .*must be equal to one of the allowed values/],
      ['an unknown keyword', { name: 'a.b', schema: { type: 'object', propertiez: {} } }, /unknown keyword: "propertiez"/],
      ['a remote $ref', { name: 'a.b', schema: { $ref: 'https://example.com/order.json' } }, /only references within the schema/],
      [
        'an example failing the schema',
        { name: 'a.b', schema: ORDER_SCHEMA, example: { orderId: 'nope', total: 1 } },
        /^createEventType\(input\.example\): does not match the schema: data\/orderId must match pattern/,
      ],
      ['an example that is not an object', { name: 'a.b', example: [1] }, /^createEventType\(input\.example\): data must be a JSON object/],
      ['a bad name', { name: 'a..b' }, /^createEventType\(input\.name\): /],
    ];
    for (const [what, input, message] of cases) {
      const res = await h.gql(CREATE, { input }, p.key);
      expect(res.errors?.[0]?.extensions?.code, what).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message, what).toMatch(message);
    }
    expect(await rows(p.projectId)).toMatchObject({ eventTypes: 0 });

    // A new schema the kept example does not pass is refused too.
    const { createEventType } = await h.ok(CREATE, { input: { name: 'a.b', schema: ORDER_SCHEMA, example: { orderId: 'ord_1', total: 1 } } }, p.key);
    const stricter = { ...ORDER_SCHEMA, required: ['orderId', 'total', 'currency'] };
    const refused = await h.gql(UPDATE, { input: { id: createEventType.eventType.id, schema: stricter } }, p.key);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.example' } });
    expect((await h.deps.db.eventType.findUniqueOrThrow({ where: { id: createEventType.eventType.id } })).schema).toEqual(ORDER_SCHEMA);
    // With a new example it goes through; null removes the schema.
    const both = await h.ok(
      UPDATE,
      { input: { id: createEventType.eventType.id, schema: stricter, example: { orderId: 'ord_2', total: 2, currency: 'EUR' } } },
      p.key,
    );
    expect(both.updateEventType.eventType.schema.required).toContain('currency');
    const cleared = await h.ok(UPDATE, { input: { id: createEventType.eventType.id, schema: null } }, p.key);
    expect(cleared.updateEventType.eventType).toMatchObject({ schema: null, example: { orderId: 'ord_2' } });
  });
});

describe('publishing against schemas', () => {
  it('refuses data failing its type’s schema with the validation errors, and writes nothing', async () => {
    const p = await h.createProject('Schemas');
    await h.ok(CREATE_WEBHOOK, { input: { url: 'https://x.example/hook', events: ['*'] } }, p.key);
    await h.ok(CREATE, { input: { name: 'order.shipped', schema: ORDER_SCHEMA } }, p.key);
    await h.ok(CREATE, { input: { name: 'order.noted' } }, p.key);
    const before = await rows(p.projectId);

    const one = await h.gql(PUBLISH_EVENT, { input: { type: 'order.shipped', data: { orderId: 'ord_1', total: -3 } } }, p.key);
    expect(one.errors?.[0]).toMatchObject({
      message: 'publishEvent(input.data): does not match the schema of "order.shipped": data/total must be >= 0',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.data', validationErrors: [{ instancePath: '/total', keyword: 'minimum', message: 'must be >= 0' }] },
    });
    const missing = await h.gql(PUBLISH_EVENT, { input: { type: 'order.shipped', data: { total: 3 } } }, p.key);
    expect(missing.errors?.[0].extensions?.validationErrors).toEqual([
      expect.objectContaining({ instancePath: '', keyword: 'required', message: "must have required property 'orderId'" }),
    ]);

    const many = await h.gql(
      PUBLISH_MANY,
      {
        e: [
          { type: 'order.shipped', data: { orderId: 'ord_1', total: 1 } },
          { type: 'order.noted', data: { anything: true } },
          { type: 'order.shipped', data: { orderId: 42, total: 1 } },
        ],
      },
      p.key,
    );
    expect(many.errors?.[0]).toMatchObject({
      message: 'publishEvents(input.events.2.data): does not match the schema of "order.shipped": data/orderId must be string',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.events.2', validationErrors: [{ instancePath: '/orderId', keyword: 'type' }] },
    });
    expect(await rows(p.projectId)).toEqual(before);

    // Valid data, a type without a schema, and a type not in the catalog (strict mode off) all publish.
    const ok = await h.ok(
      PUBLISH_MANY,
      {
        e: [
          { type: 'order.shipped', data: { orderId: 'ord_1', total: 1 } },
          { type: 'order.noted', data: { anything: true } },
          { type: 'not.catalogued', data: {} },
        ],
      },
      p.key,
    );
    expect(ok.publishEvents.deliveryCount).toBe(3);
    expect(await rows(p.projectId)).toEqual({ ...before, events: 3, deliveries: 3 });
  });
});

describe('sendTestEvent', () => {
  it('without data sends the type’s example to the receiver; with data, or for a type without one, as before', async () => {
    const p = await h.createProject('Examples');
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    h.startWorker();
    await h.ok(CREATE, { input: { name: 'order.shipped', schema: ORDER_SCHEMA, example: { orderId: 'ord_example', total: 99 } } }, p.key);
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['order.*'] } }, p.key);
    const send = async (eventType: string, data?: unknown) =>
      (
        await h.ok(
          `mutation($w: ID!, $t: String, $d: JSON) { sendTestEvent(input: { webhookId: $w, eventType: $t, data: $d }) { delivery { id } } }`,
          { w: createWebhook.webhook.id, t: eventType, d: data },
          p.key,
        )
      ).sendTestEvent.delivery.id as string;
    const bodyOf = async (deliveryId: string) => {
      const requests = await waitUntil(() => receiver.requests.find((r) => r.headers['x-hookpost-delivery'] === deliveryId), 15_000, `delivery ${deliveryId}`);
      return JSON.parse(requests.body);
    };

    const example = await bodyOf(await send('order.shipped'));
    expect(example).toMatchObject({ type: 'order.shipped', data: { orderId: 'ord_example', total: 99, test: true } });
    expect((await bodyOf(await send('order.shipped', { orderId: 'ord_given', total: 1 }))).data).toEqual({ orderId: 'ord_given', total: 1, test: true });
    expect((await bodyOf(await send('order.other'))).data).toEqual({ message: 'A test order.other event from Hookpost', test: true });
  });
});

describe('strict projects', () => {
  const UPDATE_PROJECT = `mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { id name strictEventTypes } } }`;

  it('refuse unknown types on publish and exact unknown names on webhooks, while wildcards stay allowed', async () => {
    const { createProject } = await h.ok(`mutation { createProject(input: { name: "Strict", strictEventTypes: true }) { project { id strictEventTypes } } }`);
    expect(createProject.project.strictEventTypes).toBe(true);
    const projectId = createProject.project.id;
    const key = (await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "k" }) { key } }`, { p: projectId })).createApiKey.key;
    await h.ok(CREATE, { input: { name: 'invoice.paid' } }, key);
    const before = await rows(projectId);

    const unknown = await h.gql(PUBLISH_EVENT, { input: { type: 'invoice.lost', data: {} } }, key);
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.type' } });
    expect(unknown.errors?.[0].message).toMatch(/"invoice\.lost" is not in the project's event-type catalog/);
    const inBulk = await h.gql(
      PUBLISH_MANY,
      {
        e: [
          { type: 'invoice.paid', data: {} },
          { type: 'invoice.lost', data: {} },
        ],
      },
      key,
    );
    expect(inBulk.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.events.1' } });

    const hook = await h.gql(CREATE_WEBHOOK, { input: { url: 'https://x.example', events: ['invoice.paid', 'invoice.lost'] } }, key);
    expect(hook.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.events' } });
    expect(hook.errors?.[0].message).toMatch(/"invoice\.lost" is not in the project's event-type catalog/);
    expect(await rows(projectId)).toEqual(before);

    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: 'https://x.example', events: ['invoice.paid', 'invoice.*', '*'] } }, key);
    const renamed = await h.gql(
      `mutation($id: ID!) { updateWebhook(input: { id: $id, events: ["refund.made"] }) { webhook { events } } }`,
      { id: createWebhook.webhook.id },
      key,
    );
    expect(renamed.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await h.deps.db.webhook.findUniqueOrThrow({ where: { id: createWebhook.webhook.id } })).events).toEqual(['invoice.paid', 'invoice.*', '*']);
    expect((await h.ok(PUBLISH_EVENT, { input: { type: 'invoice.paid', data: {} } }, key)).publishEvent.deliveryCount).toBe(1);

    // The project's own key turns strict mode off (another project's key cannot see the project).
    const other = await h.createProject('Not the owner');
    expect((await h.gql(UPDATE_PROJECT, { input: { id: projectId, strictEventTypes: false } }, other.key)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const { updateProject } = await h.ok(UPDATE_PROJECT, { input: { id: projectId, strictEventTypes: false } }, key);
    expect(updateProject.project).toEqual({ id: projectId, name: 'Strict', strictEventTypes: false });
    expect((await h.ok(PUBLISH_EVENT, { input: { type: 'invoice.lost', data: {} } }, key)).publishEvent.event.type).toBe('invoice.lost');
    // And on again, through the admin key: refused at once.
    await h.ok(UPDATE_PROJECT, { input: { id: projectId, strictEventTypes: true, name: 'Strict again' } });
    expect((await h.gql(PUBLISH_EVENT, { input: { type: 'invoice.lost', data: {} } }, key)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect((await h.gql(UPDATE_PROJECT, { input: { id: projectId, name: '  ' } }, key)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
