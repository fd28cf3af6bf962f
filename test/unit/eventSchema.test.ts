import { describe, expect, it } from 'vitest';
import { createSchemaCompiler, resolvePointer, SCHEMA_LIMITS, schemaProblem, validationErrorsOf } from '../../src/api/services/eventSchema.ts';

/** `$defs` a0…an where each points twice at the one before: tiny, but 2^n paths to walk. */
function fannedOutRefs(n: number) {
  const defs: Record<string, unknown> = { a0: { type: 'string' } };
  for (let i = 1; i <= n; i++) defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i - 1}` }, { $ref: `#/$defs/a${i - 1}` }] };
  return { $defs: defs, $ref: `#/$defs/a${n}` };
}

const nested = (levels: number) => {
  let s: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) s = { type: 'object', properties: { a: s } };
  return s;
};

describe('schemaProblem', () => {
  it.each([
    ['an object schema', { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] }],
    ['true', true],
    ['$schema of draft 2020-12', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }],
    ['a local $ref', { $defs: { id: { type: 'string' } }, type: 'object', properties: { a: { $ref: '#/$defs/id' }, b: { $ref: '#/$defs/id' } } }],
    ['a safe pattern', { type: 'string', pattern: '^[a-z0-9._-]+@[a-z]+\\.[a-z]{2,}$' }],
    ['a unicode property pattern', { type: 'string', pattern: '^\\p{L}+$' }],
    ['uniqueItems over strings', { type: 'array', items: { type: 'string' }, uniqueItems: true }],
    ['uniqueItems with maxItems', { type: 'array', maxItems: 100, uniqueItems: true }],
    ['properties without type (strictTypes off)', { properties: { a: { type: 'number' } } }],
    ['a root $id', { $id: 'https://example.com/order.json', type: 'object' }],
    ['fanned-out refs within the limit', fannedOutRefs(7)],
  ])('accepts %s', (_what, schema) => {
    expect(schemaProblem(schema)).toBeUndefined();
  });

  it.each([
    ['not an object', 'string', /JSON object/],
    ['an array', [], /JSON object/],
    ['an unknown type', { type: 'strin' }, /schema\/type must be equal to one of the allowed values/],
    ['an unknown keyword (strict mode)', { type: 'object', requried: ['a'] }, /unknown keyword: "requried"/],
    ['a remote $ref', { $ref: 'https://example.com/schema.json' }, /only references within the schema/],
    ['a local $ref to nothing', { $ref: '#/$defs/missing' }, /can't resolve reference/],
    ['an anchor $ref', { $ref: '#item', $defs: { i: { $anchor: 'item' } } }, /only references within the schema/],
    ['an $id below the top', { type: 'object', properties: { a: { $id: 'a.json' } } }, /\$id is allowed only at the top/],
    ['a $dynamicRef', { $dynamicAnchor: 'x', anyOf: [{ $dynamicRef: '#x' }] }, /\$dynamicRef/],
    ['a recursive schema', { type: 'object', properties: { child: { $ref: '#' } } }, /recursive/],
    ['a $ref cycle through $defs', { $defs: { a: { $ref: '#/$defs/b' }, b: { items: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }, /recursive/],
    ['refs fanning out past the limit', fannedOutRefs(12), /expand to at most 2000/],
    ['too deep', nested(SCHEMA_LIMITS.depth), /nest at most 32 levels/],
    ['over 64 KiB', { type: 'object', description: 'x'.repeat(SCHEMA_LIMITS.bytes) }, /64 KiB/],
    ['too many subschemas', { anyOf: Array.from({ length: 600 }, () => ({})) }, /at most 500 objects and arrays/],
    ['a catastrophic pattern', { type: 'string', pattern: '^(a+)+$' }, /backtrack catastrophically/],
    ['a catastrophic patternProperties key', { type: 'object', patternProperties: { '(x*)*y': {} } }, /backtrack catastrophically/],
    ['a pattern too long', { type: 'string', pattern: 'a'.repeat(SCHEMA_LIMITS.patternLength + 1) }, /longer than 256/],
    ['an invalid pattern', { type: 'string', pattern: '(' }, /pattern/],
    ['uniqueItems over objects without maxItems', { type: 'array', uniqueItems: true }, /uniqueItems needs maxItems/],
    ['uniqueItems with a large maxItems', { type: 'array', items: { type: 'object' }, maxItems: 100_000, uniqueItems: true }, /uniqueItems needs maxItems/],
    ['a draft-07 $schema', { $schema: 'http://json-schema.org/draft-07/schema#' }, /no schema with key or ref/],
  ])('refuses %s', (_what, schema, message) => {
    expect(schemaProblem(schema)).toMatch(message);
  });

  it('refuses a schema nested 5,000 levels deep without running out of stack', () => {
    const deep = JSON.parse(`${'{"not":'.repeat(5000)}{}${'}'.repeat(5000)}`);
    expect(schemaProblem(deep)).toMatch(/nest at most/);
  });
});

describe('compiled validators', () => {
  it('report the first error with its path', () => {
    const validate = createSchemaCompiler().compile({ type: 'object', properties: { total: { type: 'number', minimum: 0 } }, required: ['total'] });
    expect(validate({ total: 3 })).toBe(true);
    expect(validate({ total: -1 })).toBe(false);
    expect(validationErrorsOf(validate)).toEqual([
      { instancePath: '/total', schemaPath: '#/properties/total/minimum', keyword: 'minimum', message: 'must be >= 0' },
    ]);
  });

  it('one compiler takes two schemas with the same $id (nothing is registered by id)', () => {
    const compiler = createSchemaCompiler();
    expect(compiler.compile({ $id: 'https://x.example/a', type: 'string' })('s')).toBe(true);
    expect(compiler.compile({ $id: 'https://x.example/a', type: 'number' })(1)).toBe(true);
  });
});

describe('resolvePointer', () => {
  const doc = { $defs: { 'a/b': { x: 1 }, 'm~n': [10, 20], 'sp ace': true } };
  it.each([
    ['#', doc],
    ['#/$defs/a~1b', { x: 1 }],
    ['#/$defs/m~0n/1', 20],
    ['#/$defs/sp%20ace', true],
    ['#/$defs/none', undefined],
    ['#/$defs/%E0%A4%A', undefined],
  ])('%s', (ref, expected) => {
    expect(resolvePointer(doc, ref)).toEqual(expected);
  });
});
