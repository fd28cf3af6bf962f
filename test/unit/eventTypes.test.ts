import { describe, expect, it } from 'vitest';
import { isValidEventPattern, isValidEventType, patternMatches } from '../../src/core/eventTypes.ts';

describe('event type names', () => {
  it.each([
    ['order.shipped', true],
    ['policy.violation.created', true],
    ['compliance.score_changed', true],
    ['alert-created', true],
    ['', false],
    ['order.', false],
    ['.order', false],
    ['order..shipped', false],
    ['order.*', false],
    ['order shipped', false],
    ['a'.repeat(129), false],
  ])('%s valid=%s', (type, valid) => expect(isValidEventType(type)).toBe(valid));

  it.each([
    ['*', true],
    ['order.*', true],
    ['*.created', true],
    ['order.**', false],
    ['order*', false],
    ['', false],
  ])('pattern %s valid=%s', (pattern, valid) => expect(isValidEventPattern(pattern)).toBe(valid));
});

describe('pattern matching', () => {
  it.each([
    ['*', 'order.shipped', true],
    ['*', 'ping', true],
    ['order.*', 'order.shipped', true],
    ['order.*', 'order.item.added', true],
    ['order.*', 'order', false],
    ['order.*', 'orders.shipped', false],
    ['order.shipped', 'order.shipped', true],
    ['order.shipped', 'order.shipped.late', false],
    ['order.shipped', 'order', false],
    ['*.created', 'alert.created', true],
    ['*.created', 'policy.violation.created', false],
    ['policy.*.created', 'policy.violation.created', true],
    ['policy.*.created', 'policy.violation.resolved', false],
  ])('%s ~ %s = %s', (pattern, type, expected) => expect(patternMatches(pattern, type)).toBe(expected));
});
