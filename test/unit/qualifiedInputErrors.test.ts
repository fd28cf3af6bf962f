import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { argumentPath, qualifiedInputError } from '../../src/api/graphql/qualifiedInputErrors.ts';

const bad = (message: string, field?: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });

describe('input errors in the edge checks form', () => {
  it.each([
    ['events.1.type', ['input'], 'input.events.1.type'],
    ['ids', ['ids'], 'ids'],
    ['first', ['first', 'after', 'webhookId'], 'first'],
    ['until', ['since', 'until'], 'until'],
    ['name', ['filter'], 'filter.name'],
    ['x', ['a', 'b'], 'x'],
  ])('the field %s of a field taking %j is %s', (field, args, expected) => {
    expect(argumentPath(field, args)).toBe(expected);
  });

  it.each([
    [
      bad('events.1.type: an event type is dot-separated words', 'events.1'),
      'publishEvents',
      'publishEvents(input.events.1.type): an event type is dot-separated words',
      'input.events.1',
    ],
    [bad('data: does not match', 'data'), 'publishEvent', 'publishEvent(input.data): does not match', 'input.data'],
    [bad('must be a JSON object', 'filter'), 'createWebhook', 'createWebhook(input.filter): must be a JSON object', 'input.filter'],
    [
      bad('createWebhook(input.url): may be at most 2048 characters', 'input.url'),
      'createWebhook',
      'createWebhook(input.url): may be at most 2048 characters',
      'input.url',
    ],
  ])('%s from %s', (err, fieldName, message, field) => {
    const qualified = qualifiedInputError(err, fieldName, ['input']) as GraphQLError;
    expect(qualified.message).toBe(message);
    expect(qualified.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('leaves other errors, and refusals naming no field, as they are', () => {
    const conflict = new GraphQLError('exists', { extensions: { code: 'CONFLICT', field: 'name' } });
    const plain = bad('give at least one of ids or filter');
    const crash = new Error('boom');
    for (const err of [conflict, plain, crash]) expect(qualifiedInputError(err, 'f', ['input'])).toBe(err);
  });
});
