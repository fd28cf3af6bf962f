import { describe, expect, it } from 'vitest';
import { createFilterCache } from '../../src/api/filters/filterCache.ts';
import { compileRegex, LINEAR_REGEX, MAX_REGEX_LENGTH, regexProblem } from '../../src/api/filters/filterRegex.ts';
import { compileFilter, filterProblem, MAX_FILTER_BYTES, MAX_FILTER_DEPTH, type FilterDocument } from '../../src/api/filters/webhookFilter.ts';

const event: FilterDocument = {
  id: 'evt_0001',
  type: 'policy.violation.created',
  timestamp: '2026-11-25T18:00:00.000Z',
  data: {
    violation: {
      id: 'viol_abcdef',
      severity: 'HIGH',
      score: 85,
      resolved: false,
      owner: null,
      tags: { environment: 'production', team: 'Payments' },
      frameworks: ['SOC2', 'HIPAA'],
      findings: [
        { rule: 'mfa', level: 3 },
        { rule: 'encryption', level: 7 },
      ],
      matrix: [[1, 2], [3]],
    },
  },
};

function matches(filter: unknown, doc: FilterDocument = event): boolean {
  expect(filterProblem(filter)).toBeNull();
  const errors: unknown[] = [];
  const result = compileFilter(filter, (err) => errors.push(err))(doc);
  expect(errors).toEqual([]);
  return result;
}

// [operator, filter, expected]: each operator once matching and once not.
const operatorTable: [string, Record<string, unknown>, boolean][] = [
  ['implicit $eq', { 'data.violation.severity': 'HIGH' }, true],
  ['implicit $eq', { 'data.violation.severity': 'LOW' }, false],
  ['$eq', { 'data.violation.score': { $eq: 85 } }, true],
  ['$eq', { 'data.violation.score': { $eq: '85' } }, false],
  ['$eq on an object', { 'data.violation.tags': { environment: 'production', team: 'Payments' } }, true],
  ['$ne', { 'data.violation.severity': { $ne: 'LOW' } }, true],
  ['$ne', { 'data.violation.severity': { $ne: 'HIGH' } }, false],
  ['$in', { 'data.violation.severity': { $in: ['HIGH', 'CRITICAL'] } }, true],
  ['$in', { 'data.violation.severity': { $in: ['LOW', 'MEDIUM'] } }, false],
  ['$nin', { 'data.violation.severity': { $nin: ['LOW', 'MEDIUM'] } }, true],
  ['$nin', { 'data.violation.severity': { $nin: ['HIGH'] } }, false],
  ['$gt', { 'data.violation.score': { $gt: 80 } }, true],
  ['$gt', { 'data.violation.score': { $gt: 85 } }, false],
  ['$gte', { 'data.violation.score': { $gte: 85 } }, true],
  ['$gte', { 'data.violation.score': { $gte: 86 } }, false],
  ['$lt', { 'data.violation.score': { $lt: 86 } }, true],
  ['$lt', { 'data.violation.score': { $lt: 85 } }, false],
  ['$lte', { 'data.violation.score': { $lte: 85 } }, true],
  ['$lte', { 'data.violation.score': { $lte: 84 } }, false],
  ['$gt and $lt together', { 'data.violation.score': { $gt: 50, $lt: 90 } }, true],
  ['$exists', { 'data.violation.owner': { $exists: true } }, true],
  ['$exists', { 'data.violation.assignee': { $exists: true } }, false],
  ['$exists false', { 'data.violation.assignee': { $exists: false } }, true],
  ['$regex', { 'data.violation.id': { $regex: '^viol_[a-f]+$' } }, true],
  ['$regex', { 'data.violation.id': { $regex: '^case_' } }, false],
  ['$regex with $options i', { 'data.violation.tags.team': { $regex: '^PAY', $options: 'i' } }, true],
  ['$regex without i is case-sensitive', { 'data.violation.tags.team': { $regex: '^PAY' } }, false],
  ['$regex i keeps \\d meaning digits', { 'data.violation.id': { $regex: 'VIOL_\\D+$', $options: 'i' } }, true],
  ['$regex with $options m', { 'data.note': { $regex: '^second$', $options: 'm' } }, true],
  ['$regex without m anchors at the ends', { 'data.note': { $regex: '^second$' } }, false],
  ['$regex on a number never matches', { 'data.violation.score': { $regex: '85' } }, false],
  ['$and', { $and: [{ 'data.violation.severity': 'HIGH' }, { 'data.violation.score': { $gt: 80 } }] }, true],
  ['$and', { $and: [{ 'data.violation.severity': 'HIGH' }, { 'data.violation.score': { $gt: 90 } }] }, false],
  ['$or', { $or: [{ 'data.violation.severity': 'LOW' }, { 'data.violation.score': { $gt: 80 } }] }, true],
  ['$or', { $or: [{ 'data.violation.severity': 'LOW' }, { 'data.violation.score': { $gt: 90 } }] }, false],
  ['$nor', { $nor: [{ 'data.violation.severity': 'LOW' }, { 'data.violation.resolved': true }] }, true],
  ['$nor', { $nor: [{ 'data.violation.severity': 'HIGH' }] }, false],
  ['$not', { 'data.violation.score': { $not: { $lt: 50 } } }, true],
  ['$not', { 'data.violation.score': { $not: { $gt: 50 } } }, false],
  ['$not with $regex', { 'data.violation.tags.team': { $not: { $regex: '^pay', $options: 'i' } } }, false],
  ['$not on a missing field', { 'data.violation.assignee': { $not: { $eq: 'ann' } } }, true],
  ['$size', { 'data.violation.frameworks': { $size: 2 } }, true],
  ['$size', { 'data.violation.frameworks': { $size: 3 } }, false],
  ['$all', { 'data.violation.frameworks': { $all: ['HIPAA', 'SOC2'] } }, true],
  ['$all', { 'data.violation.frameworks': { $all: ['HIPAA', 'GDPR'] } }, false],
];

const pathTable: [string, Record<string, unknown>, boolean][] = [
  ['top-level type', { type: 'policy.violation.created' }, true],
  ['top-level id', { id: { $regex: '^evt_' } }, true],
  ['timestamp is the ISO string', { timestamp: { $gte: '2026-11-25T00:00:00.000Z', $lt: '2026-11-26' } }, true],
  ['timestamp is not a Date', { timestamp: { $gt: 0 } }, false],
  ['nested object path', { 'data.violation.tags.environment': 'production' }, true],
  ['a scalar equals any element of an array', { 'data.violation.frameworks': 'SOC2' }, true],
  ['$in against an array field', { 'data.violation.frameworks': { $in: ['GDPR', 'HIPAA'] } }, true],
  ['array index in the path', { 'data.violation.frameworks.1': 'HIPAA' }, true],
  ['array index in the path', { 'data.violation.frameworks.0': 'HIPAA' }, false],
  ['a field of objects in an array', { 'data.violation.findings.rule': 'encryption' }, true],
  ['$regex over array elements', { 'data.violation.frameworks': { $regex: '^HIP' } }, true],
  ['$elemMatch with field conditions', { 'data.violation.findings': { $elemMatch: { rule: 'mfa', level: { $gte: 3 } } } }, true],
  ['$elemMatch needs one element to match all', { 'data.violation.findings': { $elemMatch: { rule: 'mfa', level: { $gte: 5 } } } }, false],
  ['$elemMatch with operators on the elements', { 'data.violation.frameworks': { $elemMatch: { $eq: 'SOC2' } } }, true],
  ['$elemMatch with $or inside', { 'data.violation.findings': { $elemMatch: { $or: [{ rule: 'x' }, { level: 7 }] } } }, true],
  ['$elemMatch on a non-array', { 'data.violation.severity': { $elemMatch: { $eq: 'HIGH' } } }, false],
  ['missing field compared', { 'data.nothing.here': 'x' }, false],
  ['missing field equals null', { 'data.nothing.here': null }, true],
  ['missing field $ne', { 'data.nothing.here': { $ne: 'x' } }, true],
  ['missing field $gt', { 'data.nothing': { $gt: 0 } }, false],
  ['missing field $nin', { 'data.nothing': { $nin: ['x'] } }, true],
  ['empty filter matches everything', {}, true],
  ['the issue example', { 'data.violation.severity': { $in: ['HIGH', 'CRITICAL'] }, 'data.violation.tags.environment': 'production' }, true],
];

describe('filters match per operator', () => {
  it.each(operatorTable)('%s: %j → %s', (_op, filter, expected) => {
    expect(matches(filter, { ...event, data: { ...(event.data as object), note: 'first\nsecond' } })).toBe(expected);
  });
});

describe('filters on paths, arrays and missing fields', () => {
  it.each(pathTable)('%s: %j → %s', (_what, filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });
});

/** A filter of 2 × levels + 1 nesting levels: each $and adds an object and an array. */
const deep = (levels: number) => {
  let filter: Record<string, unknown> = { 'data.x': 1 };
  for (let i = 0; i < levels; i++) filter = { $and: [filter] };
  return filter;
};

// [what, filter, message]
const refusedTable: [string, unknown, RegExp][] = [
  ['an unknown operator', { 'data.x': { $foo: 1 } }, /unknown operator \$foo/],
  ['$where', { $where: 'this.data.x === 1' }, /unknown operator \$where/],
  ['$where under a field', { 'data.x': { $where: 'true' } }, /unknown operator \$where/],
  ['$expr', { $expr: { $eq: ['$data.x', 1] } }, /unknown operator \$expr/],
  ['$function', { 'data.x': { $function: { body: 'return true', args: [], lang: 'js' } } }, /unknown operator \$function/],
  ['$jsonSchema', { $jsonSchema: {} }, /unknown operator \$jsonSchema/],
  ['$type (not offered)', { 'data.x': { $type: 'string' } }, /unknown operator \$type/],
  ['$elemMatch hiding $where', { 'data.a': { $elemMatch: { $where: 'true' } } }, /unknown operator \$where/],
  ['$not hiding $expr', { 'data.a': { $not: { $expr: {} } } }, /unknown operator \$expr/],
  ['$or hiding $function', { $or: [{ 'data.a': { $function: {} } }] }, /unknown operator \$function/],
  ['an array', [{ 'data.x': 1 }], /JSON object/],
  ['a string', '{"data.x": 1}', /JSON object/],
  ['null inside $and', { $and: [null] }, /\$and\.0 must be a JSON object/],
  ['$or not an array', { $or: { 'data.x': 1 } }, /non-empty array/],
  ['an empty $and', { $and: [] }, /non-empty array/],
  ['$in not an array', { 'data.x': { $in: 'HIGH' } }, /takes an array/],
  ['$exists not a boolean', { 'data.x': { $exists: 1 } }, /true or false/],
  ['$size negative', { 'data.x': { $size: -1 } }, /whole number/],
  ['$not of a plain value', { 'data.x': { $not: 'HIGH' } }, /object of operators/],
  ['$options alone', { 'data.x': { $options: 'i' } }, /goes with \$regex/],
  ['$options g', { 'data.x': { $regex: 'a', $options: 'g' } }, /i, m and s/],
  ['$regex not a string', { 'data.x': { $regex: 5 } }, /take strings/],
  ['operators mixed with fields', { 'data.x': { $gt: 1, y: 2 } }, /mixes operators and field names/],
  ['an empty path segment', { 'data..x': 1 }, /not a field path/],
  ['a __proto__ path', { 'data.__proto__.x': 1 }, /not a field path/],
  ['a $ path segment', { 'data.$x': 1 }, /not a field path|unknown operator/],
  ['too deep', deep(MAX_FILTER_DEPTH / 2), /nest at most/],
  ['too large', { 'data.x': { $in: Array.from({ length: 2000 }, (_, i) => `value-${i}`) } }, /at most 8 KiB/],
  ['an unsafe regex', { 'data.x': { $regex: '(a+)+$' } }, /exponential/],
  ['another unsafe regex', { 'data.x': { $regex: '^(\\w+\\s?)*$' } }, /exponential/],
  ['a too-long regex', { 'data.x': { $regex: 'a'.repeat(MAX_REGEX_LENGTH + 1) } }, /at most 256 characters/],
  ['an invalid regex', { 'data.x': { $regex: '([a-z' } }, /not a supported regular expression/],
  ['too many regexes', { $or: Array.from({ length: 9 }, (_, i) => ({ [`data.f${i}`]: { $regex: 'x' } })) }, /at most 8 regexes/],
];
if (LINEAR_REGEX) {
  refusedTable.push(['a backreference', { 'data.x': { $regex: '(a)\\1' } }, /backreferences and lookaround/]);
  refusedTable.push(['a lookahead', { 'data.x': { $regex: 'a(?=b)' } }, /backreferences and lookaround/]);
}

describe('filters refused', () => {
  it.each(refusedTable)('%s', (_what, filter, message) => {
    expect(filterProblem(filter)).toMatch(message);
  });

  it('sizes: the limits themselves are allowed', () => {
    expect(filterProblem(deep(MAX_FILTER_DEPTH / 2 - 1))).toBeNull();
    expect(JSON.stringify({ 'data.x': { $in: Array.from({ length: 500 }, (_, i) => `v${i}`) } }).length).toBeLessThan(MAX_FILTER_BYTES);
    expect(filterProblem({ 'data.x': { $in: Array.from({ length: 500 }, (_, i) => `v${i}`) } })).toBeNull();
    expect(filterProblem({ 'data.x': { $regex: 'a'.repeat(MAX_REGEX_LENGTH) } })).toBeNull();
  });

  it('a refused filter stored anyway matches nothing and reports why', () => {
    const errors: unknown[] = [];
    expect(compileFilter({ $where: 'true' }, (err) => errors.push(err))(event)).toBe(false);
    expect(String(errors[0])).toMatch(/\$where/);
  });
});

describe('regexes', () => {
  it('run in linear time: a pattern that backtracks for a minute on 256 KiB takes well under a second', () => {
    expect(LINEAR_REGEX).toBe(true);
    const subject = 'a'.repeat(256 * 1024);
    for (const [pattern, options] of [
      ['.*foo', ''],
      ['.*FOO.*', 'i'],
      ['a*a*a*b', 's'],
    ]) {
      expect(regexProblem(pattern, options)).toBeNull();
      const started = performance.now();
      expect(compileRegex(pattern, options)(subject)).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it.each([
    ['^abc$', 'i', 'ABC', true],
    ['[A-Z]+\\d', 'i', 'abc1', true],
    ['\\W', 'i', 'abc', false],
    ['\\S+\\s\\S+', 'i', 'A B', true],
    ['\\x41', '', 'A', true],
    ['^b', 'm', 'a\nb', true],
    ['a.b', 's', 'a\nb', true],
    ['a.b', '', 'a\nb', false],
  ])('/%s/%s on %j → %s', (pattern, options, subject, expected) => {
    expect(regexProblem(pattern, options)).toBeNull();
    expect(compileRegex(pattern, options)(subject)).toBe(expected);
  });
});

describe('filter cache', () => {
  it('compiles a filter text once and follows a changed text at once', () => {
    const cache = createFilterCache(() => {});
    const high = JSON.stringify({ 'data.violation.severity': 'HIGH' });
    const low = JSON.stringify({ 'data.violation.severity': 'LOW' });
    const first = cache.get(high);
    expect(cache.get(high)).toBe(first);
    expect(first(event)).toBe(true);
    expect(cache.get(low)(event)).toBe(false);
    expect(cache.size).toBe(2);
  });

  it('reports a stored filter that cannot be used, and it matches nothing', () => {
    const seen: string[] = [];
    const cache = createFilterCache((_err, text) => seen.push(text));
    expect(cache.get('{"$where": "true"}')(event)).toBe(false);
    expect(seen).toEqual(['{"$where": "true"}']);
  });
});
