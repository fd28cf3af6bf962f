import { Context } from 'mingo/core';
import { $all, $elemMatch, $size } from 'mingo/operators/query/array';
import { $eq, $gt, $gte, $in, $lt, $lte, $ne, $nin } from 'mingo/operators/query/comparison';
import { $exists } from 'mingo/operators/query/element';
import { $and, $nor, $not, $or } from 'mingo/operators/query/logical';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { ensureArray, flatten, resolve } from 'mingo/util';
import { z } from 'zod';
import { nestingDepth } from '../services/validation.ts';
import { compileRegex, regexProblem } from './filterRegex.ts';

/**
 * Webhook payload filters: a MongoDB-style query over `{ id, type, timestamp, data }`, run with mingo.
 * A filter is checked against an allow-list of operators and limits when it is written, so that
 * matching at publish time cannot fail or take unbounded time.
 */

/** What a filter sees of an event: the envelope's fields, `timestamp` as the ISO string the body carries. */
export interface FilterDocument {
  id: string;
  type: string;
  timestamp: string;
  data: unknown;
}

export const MAX_FILTER_BYTES = 8 * 1024;
export const MAX_FILTER_DEPTH = 16;
export const MAX_FILTER_REGEXES = 8;
const MAX_PATH_LENGTH = 256;

const LOGICAL = new Set(['$and', '$or', '$nor']);
const VALUE_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte']);
export const FILTER_OPERATORS = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$regex',
  '$options',
  '$not',
  '$elemMatch',
  '$size',
  '$all',
  '$and',
  '$or',
  '$nor',
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOperatorObject = (v: unknown): v is JsonObject => isObject(v) && Object.keys(v).some((k) => k.startsWith('$'));

/** Thrown by the walk below; caught and turned into a message by `filterProblem`. */
class Refused extends Error {}

/** Walks a filter against the allow-list; throws Refused at the first thing it does not allow. */
function checkQuery(query: unknown, at: string, regexes: { count: number }): void {
  if (!isObject(query)) throw new Refused(`${at || 'the filter'} must be a JSON object`);
  for (const [key, value] of Object.entries(query)) {
    const where = at ? `${at}.${key}` : key;
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value) || value.length === 0) throw new Refused(`${where} takes a non-empty array of filters`);
      value.forEach((q, i) => checkQuery(q, `${where}.${i}`, regexes));
    } else if (key.startsWith('$')) {
      throw new Refused(`unknown operator ${key} (allowed: ${FILTER_OPERATORS.join(' ')})`);
    } else {
      checkPath(key);
      checkCondition(value, where, regexes);
    }
  }
}

function checkPath(path: string): void {
  const segments = path.split('.');
  if (path.length > MAX_PATH_LENGTH) throw new Refused(`field paths may be at most ${MAX_PATH_LENGTH} characters`);
  if (segments.some((s) => s === '' || s.startsWith('$') || s === '__proto__'))
    throw new Refused(`"${path}" is not a field path (dot-separated names, none empty, none starting with $, no __proto__)`);
}

/** A field's condition: a literal (compared with $eq) or an object of operators only. */
function checkCondition(cond: unknown, at: string, regexes: { count: number }): void {
  if (!isOperatorObject(cond)) return;
  if (Object.keys(cond).some((k) => !k.startsWith('$'))) throw new Refused(`${at} mixes operators and field names`);
  for (const [op, arg] of Object.entries(cond)) {
    const where = `${at}.${op}`;
    if (VALUE_OPERATORS.has(op)) continue;
    switch (op) {
      case '$in':
      case '$nin':
        if (!Array.isArray(arg)) throw new Refused(`${where} takes an array`);
        break;
      case '$all':
        if (!Array.isArray(arg) || arg.length === 0) throw new Refused(`${where} takes a non-empty array`);
        if (arg.some(isOperatorObject)) throw new Refused(`${where} takes plain values`);
        break;
      case '$exists':
        if (typeof arg !== 'boolean') throw new Refused(`${where} takes true or false`);
        break;
      case '$size':
        if (!Number.isInteger(arg) || (arg as number) < 0) throw new Refused(`${where} takes a whole number`);
        break;
      case '$options':
        if (!('$regex' in cond)) throw new Refused(`${where} goes with $regex`);
        break;
      case '$regex': {
        const options = cond.$options ?? '';
        if (typeof arg !== 'string' || typeof options !== 'string') throw new Refused(`${where} and $options take strings`);
        if (++regexes.count > MAX_FILTER_REGEXES) throw new Refused(`a filter may hold at most ${MAX_FILTER_REGEXES} regexes`);
        const problem = regexProblem(arg, options);
        if (problem) throw new Refused(`${where}: ${problem}`);
        break;
      }
      case '$not':
        if (!isOperatorObject(arg)) throw new Refused(`${where} takes an object of operators, e.g. {"$in": [...]}`);
        checkCondition(arg, where, regexes);
        break;
      case '$elemMatch':
        if (!isObject(arg)) throw new Refused(`${where} takes an object`);
        // As mingo reads it: operators alone test each element itself, anything else is a filter over its fields.
        if (Object.keys(arg).every((k) => k.startsWith('$') && !LOGICAL.has(k))) checkCondition(arg, where, regexes);
        else checkQuery(arg, where, regexes);
        break;
      default:
        throw new Refused(`unknown operator ${op} (allowed: ${FILTER_OPERATORS.join(' ')})`);
    }
  }
}

/**
 * mingo's own `$regex` runs the backtracking engine; this one uses ours (see filterRegex.ts) and
 * otherwise does what mingo's does: a string, or any string in an array, that matches.
 */
function $regex(selector: string, value: unknown, _options: Options) {
  const re = value as RegExp; // mingo turns {$regex, $options} into a RegExp before calling us
  const test = compileRegex(re.source, re.flags);
  const matches = (x: unknown) => typeof x === 'string' && test(x);
  return (doc: object) => {
    const found = ensureArray(resolve(doc as Record<string, unknown>, selector, { unwrapArray: true }));
    return found.some(matches) || flatten(found, 1).some(matches);
  };
}

// Only the allowed operators exist for the compiler, so nothing else can run even if the walk above missed it.
const context = Context.init({
  query: { $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $regex, $not, $elemMatch, $size, $all, $and, $or, $nor },
});

export type CompiledFilter = (doc: FilterDocument) => boolean;

function compile(filter: JsonObject): CompiledFilter {
  const query = new Query(filter, { context, scriptEnabled: false, useStrictMode: true });
  return (doc) => query.test({ ...doc });
}

/** Why a filter is refused (a message for BAD_USER_INPUT), or null when it may be stored. */
export function filterProblem(filter: unknown): string | null {
  if (!isObject(filter)) return 'the filter must be a JSON object';
  if (nestingDepth(filter, MAX_FILTER_DEPTH) > MAX_FILTER_DEPTH) return `the filter may nest at most ${MAX_FILTER_DEPTH} levels deep`;
  if (Buffer.byteLength(JSON.stringify(filter)) > MAX_FILTER_BYTES) return `the filter may be at most ${MAX_FILTER_BYTES / 1024} KiB as JSON`;
  try {
    checkQuery(filter, '', { count: 0 });
    compile(filter);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * A filter already accepted by `filterProblem`, ready to match. Should one fail anyway (say it was
 * written into the database by hand), it matches nothing: a filter may be all that keeps one
 * customer's events from another's endpoint, so it fails closed.
 */
export function compileFilter(filter: unknown, onError: (err: unknown) => void): CompiledFilter {
  const problem = filterProblem(filter);
  if (problem) {
    onError(new Error(problem));
    return () => false;
  }
  const test = compile(filter as JsonObject);
  return (doc) => {
    try {
      return test(doc);
    } catch (err) {
      onError(err);
      return false;
    }
  };
}

/** The `filter` input field: a filter `filterProblem` accepts, as stored. */
export const filterInput = z.unknown().transform((value, ctx) => {
  const problem = filterProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  return value as JsonObject;
});
