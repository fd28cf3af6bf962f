// Hostile input, second pass: schemas, examples and payloads that would cost the server far more
// than a normal client asks for are refused up front, nothing is written, and the server goes on
// answering at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

let h: Harness;
let p: { projectId: string; key: string };
let remote: Receiver;

beforeAll(async () => {
  h = await startHarness();
  p = await h.createProject('Hostile catalog');
  remote = await startReceiver();
  // A type whose data must be an object: publishing to it runs the validator.
  await post('mutation { createEventType(input: { name: "order.paid", schema: { type: "object" } }) { eventType { id } } }', '{}');
});
afterAll(async () => {
  await h.close();
  await remote.close();
});

/** Variables are sent as text: JSON.stringify itself would run out of stack on the deepest ones. */
async function post(query: string, variablesJson: string) {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${p.key}` },
    body: `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`,
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
}

const nestedText = (levels: number, key = 'd') => `${`{"${key}":`.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
const json = (v: unknown) => JSON.stringify(v);

/** `$defs` each pointing twice at the one before: 1.4 KB that validation could walk 2^22 ways. */
function fannedOutRefs(n: number) {
  const defs: Record<string, unknown> = { a0: { type: 'string' } };
  for (let i = 1; i <= n; i++) defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i - 1}` }, { $ref: `#/$defs/a${i - 1}` }] };
  return { $defs: defs, $ref: `#/$defs/a${n}` };
}

const CREATE = 'mutation($s: JSON, $x: JSON) { createEventType(input: { name: "hostile.type", schema: $s, example: $x }) { eventType { id } } }';
const PUBLISH = 'mutation($d: JSON!) { publishEvent(input: { type: "order.paid", data: $d }) { deliveryCount } }';
const PUBLISH_MANY =
  'mutation($d: JSON!) { publishEvents(input: { events: [{ type: "order.paid", data: {} }, { type: "order.paid", data: $d }] }) { deliveryCount } }';

const cases: [string, string, string | (() => string), RegExp][] = [
  [
    'a schema over 64 KiB',
    CREATE,
    json({ s: { type: 'object', description: 'x'.repeat(70 * 1024) } }),
    /^createEventType\(input\.schema\): may be at most 64 KiB as JSON/,
  ],
  ['a schema nested 5,000 levels deep', CREATE, `{"s":${nestedText(5000, 'not')}}`, /^createEventType\(input\.schema\): may nest at most 32 levels deep/],
  // 20,000 subschemas in 60 KiB: ajv would compile for many seconds (about a millisecond each).
  [
    'a schema slow to compile',
    CREATE,
    json({ s: { anyOf: Array.from({ length: 20_000 }, () => ({})) } }),
    /^createEventType\(input\.schema\): a schema may hold at most 500 objects and arrays/,
  ],
  ['a schema slow to validate', CREATE, json({ s: fannedOutRefs(22) }), /^createEventType\(input\.schema\): a schema's \$refs may expand to at most 2000/],
  ['a recursive schema', CREATE, json({ s: { type: 'object', properties: { next: { $ref: '#' } } } }), /^createEventType\(input\.schema\): recursive schemas/],
  [
    'a catastrophic-backtracking pattern',
    CREATE,
    json({ s: { type: 'string', pattern: '^(a+)+$' } }),
    /^createEventType\(input\.schema\): pattern "\^\(a\+\)\+\$" may backtrack catastrophically/,
  ],
  [
    'a catastrophic patternProperties key',
    CREATE,
    json({ s: { type: 'object', patternProperties: { '^(\\w+\\s?)*$': {} } } }),
    /may backtrack catastrophically/,
  ],
  ['a pattern of 10,000 characters', CREATE, json({ s: { type: 'string', pattern: 'a'.repeat(10_000) } }), /longer than 256 characters/],
  ['uniqueItems over unbounded object arrays', CREATE, json({ s: { type: 'array', uniqueItems: true } }), /uniqueItems needs maxItems/],
  ['a remote $ref (never fetched)', CREATE, () => json({ s: { $ref: `${remote.url}/schema.json` } }), /only references within the schema/],
  ['an example nested 5,000 levels deep', CREATE, `{"x":${nestedText(5000)}}`, /^createEventType\(input\.example\): may nest at most 64 levels deep/],
  ['event data nested 5,000 levels deep', PUBLISH, `{"d":${nestedText(5000)}}`, /^publishEvent\(input\.data\): may nest at most 64 levels deep/],
  ['event data nested 65 levels deep', PUBLISH, `{"d":${nestedText(65)}}`, /^publishEvent\(input\.data\): may nest at most 64 levels deep/],
  [
    'bulk event data nested 5,000 levels deep',
    PUBLISH_MANY,
    `{"d":${nestedText(5000)}}`,
    /^publishEvents\(input\.events\.1\.data\): may nest at most 64 levels deep/,
  ],
];

describe('hostile schemas, examples and payloads', () => {
  it.each(cases)('%s is BAD_USER_INPUT, writes nothing, and the next request is answered at once', async (_what, query, variables, message) => {
    const before = { types: await h.deps.db.eventType.count(), events: await h.deps.db.event.count() };
    const res = await post(query, typeof variables === 'function' ? variables() : variables);
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)?.slice(0, 300)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(message);
    expect({ types: await h.deps.db.eventType.count(), events: await h.deps.db.event.count() }).toEqual(before);
    // Nothing is left running: the next request is answered (a generous bound, only a sanity check).
    const started = performance.now();
    expect((await post('{ __typename }', '{}')).data).toEqual({ __typename: 'Query' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(remote.requests).toHaveLength(0);
  });

  it('a schema at the limits is accepted, and its events are checked', async () => {
    const ok = await post(
      CREATE,
      json({
        s: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, uniqueItems: true } } },
        x: { tags: ['a', 'b'] },
      }),
    );
    expect(ok.errors).toBeUndefined();
    const bad = await post(
      'mutation($d: JSON!) { publishEvent(input: { type: "hostile.type", data: $d }) { deliveryCount } }',
      json({ d: { tags: ['a', 'a'] } }),
    );
    expect(bad.errors?.[0]?.message).toMatch(/must NOT have duplicate items/);
  });
});
