import {
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLField,
  type GraphQLInputType,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput } from '../errors.ts';
import { type InputLimit, JSON_LIMIT, MAX_ID_LENGTH, MAX_LIST_ITEMS, MAX_STRING_LENGTH } from './inputLimits.ts';
import { INPUT_LIMIT } from './inputLimitsPlugin.ts';

/** Characters Postgres text cannot hold (NUL) or UTF-8 cannot encode (a surrogate without its pair). */
const UNSTORABLE = /\u0000|\p{Cs}/u;

interface Refusal {
  path: string;
  message: string;
}

function stringProblem(value: string, maxLength: number): string | undefined {
  const bad = UNSTORABLE.exec(value);
  if (bad) return bad[0] === '\u0000' ? 'must not contain the NUL character (U+0000)' : 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
  if (value.length > maxLength) return `may be at most ${maxLength} characters`;
  return undefined;
}

/** A JSON value's depth, strings and size, walked without recursion so that hostile nesting cannot blow the stack. */
function jsonProblem(value: unknown, limit: { bytes: number; depth: number }): string | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return 'must not hold NUL characters or lone UTF-16 surrogates in its strings';
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit.depth) return `may nest at most ${limit.depth} levels deep`;
    if (Array.isArray(v)) {
      for (const child of v) stack.push([child, depth + 1]);
      continue;
    }
    for (const [key, child] of Object.entries(v)) {
      if (UNSTORABLE.test(key)) return 'must not hold NUL characters or lone UTF-16 surrogates in its keys';
      stack.push([child, depth + 1]);
    }
  }
  if (Buffer.byteLength(JSON.stringify(value) ?? '') > limit.bytes) return `may be at most ${limit.bytes / 1024} KiB as JSON`;
  return undefined;
}

/** The first limit `value` breaks, walking input objects and lists; values are as execution will see them. */
function refusalOf(value: unknown, type: GraphQLInputType, limit: InputLimit | undefined, path: string): Refusal | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return refusalOf(value, type.ofType, limit, path);
  if (isListType(type)) {
    const items = Array.isArray(value) ? value : [value];
    const maxItems = limit?.maxItems ?? MAX_LIST_ITEMS;
    if (items.length > maxItems) return { path, message: `may hold at most ${maxItems} items` };
    for (let i = 0; i < items.length; i++) {
      const refusal = refusalOf(items[i], type.ofType, limit, `${path}.${i}`);
      if (refusal) return refusal;
    }
    return undefined;
  }
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      const own = field.extensions[INPUT_LIMIT] as InputLimit | undefined;
      const refusal = refusalOf((value as Record<string, unknown>)[field.name], field.type, own, `${path}.${field.name}`);
      if (refusal) return refusal;
    }
    return undefined;
  }
  if (!isScalarType(type)) return undefined;
  if (type.name === 'JSON') {
    const message = jsonProblem(value, limit?.json ?? JSON_LIMIT);
    return message ? { path, message } : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const message = stringProblem(value, limit?.maxLength ?? (type.name === 'ID' ? MAX_ID_LENGTH : MAX_STRING_LENGTH));
  return message ? { path, message } : undefined;
}

interface FieldWithArguments {
  node: FieldNode;
  def: GraphQLField<unknown, unknown>;
}

/** The fields of the operation, and of the fragments it may spread, that are given arguments. */
function fieldsWithArguments(args: ExecutionArgs): FieldWithArguments[] {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return [];
  const typeInfo = new TypeInfo(args.schema);
  const found: FieldWithArguments[] = [];
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const def = typeInfo.getFieldDef();
      if (def && node.arguments?.length) found.push({ node, def });
    },
  });
  for (const definition of [operation, ...args.document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)]) visit(definition, visitor);
  return found;
}

/**
 * Refuses, before any resolver runs and so before any query, what no resolver could store or should
 * read: a NUL or a lone surrogate in any String, ID or JSON string (Postgres text and jsonb cannot
 * hold them), a string, list or JSON value over its documented limit (inputLimits.ts). One place for
 * the whole schema, over HTTP, SSE and WebSocket alike: a field added later is covered without
 * knowing about it. The refusal is BAD_USER_INPUT naming the field, e.g. `input.description`.
 */
export function useInputGuard(): Plugin {
  // Parsed documents are cached and shared by requests, so the walk is done once per document.
  const plans = new WeakMap<DocumentNode, Map<string, FieldWithArguments[]>>();
  const planOf = (args: ExecutionArgs) => {
    let byOperation = plans.get(args.document);
    if (!byOperation) plans.set(args.document, (byOperation = new Map()));
    const name = args.operationName ?? '';
    let plan = byOperation.get(name);
    if (!plan) byOperation.set(name, (plan = fieldsWithArguments(args)));
    return plan;
  };

  /** The first refusal of the operation's arguments, if any. */
  const refusal = (args: ExecutionArgs) => {
    const plan = planOf(args);
    if (!plan.length) return undefined;
    const operation = getOperationAST(args.document, args.operationName);
    const variables = getVariableValues(args.schema, operation?.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 1 });
    // Variables that do not fit their types are execution's to report (BAD_USER_INPUT).
    if (variables.errors) return undefined;
    for (const { node, def } of plan) {
      let values: Record<string, unknown>;
      try {
        values = getArgumentValues(def, node, variables.coerced);
      } catch {
        continue; // a missing or mistyped argument: execution reports it
      }
      for (const arg of def.args) {
        const found = refusalOf(values[arg.name], arg.type, arg.extensions[INPUT_LIMIT] as InputLimit | undefined, arg.name);
        if (found) return badInput(`${node.name.value}(${found.path}): ${found.message}`, found.path);
      }
    }
    return undefined;
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
