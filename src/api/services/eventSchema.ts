import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import safeRegex from 'safe-regex2';
import { nestingDepth } from './validation.ts';

// An event type's schema is a program the API runs on every publish, written by a client. These
// limits keep compiling and running it within what a normal schema costs: compiling grows with the
// number of subschemas, and `$ref`s fanned out through anyOf can make one value take seconds to reject
// (test/api/hostile-catalog.test.ts holds each case).
export const SCHEMA_LIMITS = {
  bytes: 64 * 1024,
  depth: 32,
  /** Objects and arrays in the schema as written. */
  nodes: 500,
  /** Objects and arrays with every `$ref` replaced by its target: what validation may walk. */
  unfoldedNodes: 2000,
  patternLength: 256,
  /** uniqueItems compares every pair of items; over objects, that is quadratic. */
  uniqueItems: 500,
} as const;

const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * Every `pattern` and `patternProperties` key passes through here when ajv compiles them, so a
 * regex that could backtrack catastrophically on a long string is refused before it can run.
 */
const boundedRegExp = Object.assign(
  (pattern: string, flags: string) => {
    if (pattern.length > SCHEMA_LIMITS.patternLength)
      throw new Error(`pattern "${pattern.slice(0, 40)}…" is longer than ${SCHEMA_LIMITS.patternLength} characters`);
    if (!safeRegex(pattern)) throw new Error(`pattern "${pattern}" may backtrack catastrophically (nested or too many repetitions)`);
    return new RegExp(pattern, flags);
  },
  { code: 'new RegExp' },
);

/**
 * Ajv's strict mode as it ships (unknown keywords and ignored ones are errors), without its
 * console warnings; the first error only (`allErrors: false` stops at it); no remote `$ref` is
 * ever fetched (there is no `loadSchema`); referenced subschemas compile once each instead of
 * being inlined; and schemas with an `$id` are not kept in the instance.
 */
const AJV_OPTIONS: Options = {
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allErrors: false,
  logger: false,
  addUsedSchema: false,
  inlineRefs: false,
  unicodeRegExp: true,
  validateFormats: true,
  code: { regExp: boundedRegExp },
};

function newAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...options });
  addFormats.default(ajv);
  return ajv;
}

/** Checks schemas against the draft 2020-12 meta-schema only; it never compiles a user's schema, so it keeps nothing of them. */
let metaChecker: Ajv2020 | undefined;

/**
 * A compiler for one project's validators. Ajv keeps every schema it compiled (and its regexes)
 * for its lifetime, so each project's cache owns one and drops it with the cache entry.
 */
export function createSchemaCompiler(): { compile(schema: unknown): ValidateFunction } {
  let ajv: Ajv2020 | undefined;
  return {
    compile(schema) {
      ajv ??= newAjv({ validateSchema: false });
      return ajv.compile(schema as object);
    },
  };
}

export interface SchemaValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message: string;
}

export function validationErrorsOf(validate: ValidateFunction): SchemaValidationError[] {
  return (validate.errors ?? []).map((e) => ({
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    keyword: e.keyword,
    message: e.message ?? 'is invalid',
  }));
}

/**
 * Why a schema is refused, or undefined when it is acceptable: its shape first (cheap and
 * iterative, so hostile input costs nothing), then the meta-schema, then a real compilation.
 */
export function schemaProblem(schema: unknown): string | undefined {
  const shape = shapeProblem(schema);
  if (shape) return shape;
  metaChecker ??= newAjv();
  try {
    // Throws for a `$schema` other than draft 2020-12.
    if (!metaChecker.validateSchema(schema as object)) return metaChecker.errorsText(metaChecker.errors, { dataVar: 'schema' });
    createSchemaCompiler().compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The structural limits, checked without compiling anything. */
export function shapeProblem(schema: unknown): string | undefined {
  if (typeof schema === 'boolean') return undefined;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'a schema is a JSON object (or true / false)';
  // Depth first: serialising a deeply nested value would itself run out of stack.
  if (nestingDepth(schema, SCHEMA_LIMITS.depth) > SCHEMA_LIMITS.depth) return `a schema may nest at most ${SCHEMA_LIMITS.depth} levels deep`;
  if (Buffer.byteLength(JSON.stringify(schema)) > SCHEMA_LIMITS.bytes) return `a schema must be at most ${SCHEMA_LIMITS.bytes / 1024} KiB as JSON`;
  const nodes = containersIn(schema);
  if (nodes.length > SCHEMA_LIMITS.nodes) return `a schema may hold at most ${SCHEMA_LIMITS.nodes} objects and arrays`;
  // Values under enum, const, default or examples are inspected too: a refusal there is rare and harmless.
  for (const node of nodes) {
    if (Array.isArray(node)) continue;
    const o = node as Record<string, unknown>;
    if (typeof o.$ref === 'string' && !isLocalPointer(o.$ref)) return `$ref "${o.$ref}": only references within the schema ("#/…") are allowed`;
    if (typeof o.$dynamicRef === 'string' || typeof o.$recursiveRef === 'string') return '$dynamicRef and $recursiveRef are not supported';
    if (o !== schema && typeof o.$id === 'string') return '$id is allowed only at the top of a schema';
    if (o.uniqueItems === true && !cheapUniqueItems(o)) {
      return `uniqueItems needs maxItems of at most ${SCHEMA_LIMITS.uniqueItems}, unless its items have a scalar type`;
    }
  }
  return unfoldedProblem(schema);
}

function containersIn(root: object): object[] {
  const found: object[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    found.push(v);
    if (found.length > SCHEMA_LIMITS.nodes) break;
    stack.push(...(Array.isArray(v) ? v : Object.values(v)));
  }
  return found;
}

/** Ajv compares scalar items through a hash in one pass; anything else pairwise. */
function cheapUniqueItems(o: Record<string, unknown>): boolean {
  if (typeof o.maxItems === 'number' && o.maxItems <= SCHEMA_LIMITS.uniqueItems) return true;
  const items = o.items as { type?: unknown } | undefined;
  const types = typeof items?.type === 'string' ? [items.type] : Array.isArray(items?.type) ? items.type : [];
  return types.length > 0 && types.every((t) => SCALAR_TYPES.has(t as string));
}

function isLocalPointer(ref: string): boolean {
  return ref === '#' || ref.startsWith('#/');
}

/** The target of a local JSON-pointer `$ref`, or undefined (ajv then reports it unresolvable). */
export function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return undefined;
    }
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

class RecursiveSchema extends Error {}

/**
 * A `$ref` cycle (a recursive schema) or a schema whose references fan out past the limit: a
 * small schema whose `$ref`s each point twice at the one before describes exponentially many
 * paths, and validation may walk all of them.
 */
function unfoldedProblem(root: object): string | undefined {
  const limit = SCHEMA_LIMITS.unfoldedNodes;
  const sizes = new Map<object, number>();
  const onPath = new Set<object>();
  // Recursion depth is bounded: a path visits each of the (at most 500) containers once.
  const size = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 0;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (onPath.has(node)) throw new RecursiveSchema();
    onPath.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > limit) break;
    }
    const ref = (node as { $ref?: unknown }).$ref;
    if (!Array.isArray(node) && typeof ref === 'string' && total <= limit) total += size(resolvePointer(root, ref));
    onPath.delete(node);
    sizes.set(node, Math.min(total, limit + 1));
    return Math.min(total, limit + 1);
  };
  try {
    if (size(root) > limit) return `a schema's $refs may expand to at most ${limit} objects and arrays`;
  } catch (err) {
    if (err instanceof RecursiveSchema) return 'recursive schemas ($ref cycles) are not supported';
    throw err;
  }
  return undefined;
}
