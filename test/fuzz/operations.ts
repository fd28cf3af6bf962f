// Operations generated from the introspected schema: any root field of Query, Mutation or
// Subscription, with generated arguments (as variables or inline literals) and a small selection
// that may reach nested fields with arguments of their own.
import fc from 'fast-check';
import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { type ValueOptions, valuesOf } from './values.ts';

export type OperationKind = 'query' | 'mutation' | 'subscription';

export interface Operation {
  kind: OperationKind;
  /** The root field, e.g. `Mutation.createWebhook`. */
  field: string;
  query: string;
  variables: Record<string, unknown>;
}

interface Arg {
  name: string;
  type: GraphQLInputType;
  value: unknown;
  inline: boolean;
}

interface Selection {
  name: string;
  args: Arg[];
  children: Selection[] | null;
}

const MAX_DEPTH = 3;
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Whether a value can be written as a literal of its type here (anything else goes as a variable). */
function literalOf(value: unknown, type: GraphQLInputType): string | undefined {
  const named = getNamedType(type);
  if (value === null) return isNonNullType(type) ? undefined : 'null';
  if (isEnumType(named)) return typeof value === 'string' && NAME.test(value) ? value : undefined;
  if (!isScalarType(named)) return undefined;
  if ((named.name === 'String' || named.name === 'ID') && typeof value === 'string') return JSON.stringify(value);
  if (named.name === 'Int' && Number.isInteger(value)) return String(value);
  if (named.name === 'Float' && typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (named.name === 'Boolean' && typeof value === 'boolean') return String(value);
  return undefined;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, opts: ValueOptions): fc.Arbitrary<Arg[]> {
  const each = field.args.map((arg) => {
    // Required arguments are nearly always given; optional ones half the time.
    const given = isNonNullType(arg.type) ? fc.oneof({ weight: 49, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.boolean();
    return fc
      .tuple(given, valuesOf(arg.type, opts), fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }))
      .map(([present, value, inline]): Arg[] =>
        present ? [{ name: arg.name, type: arg.type, value, inline: inline && literalOf(value, arg.type) !== undefined }] : [],
      );
  });
  return fc.tuple(...each).map((lists) => lists.flat());
}

function selectionOf(type: GraphQLOutputType, opts: ValueOptions, depth: number): fc.Arbitrary<Selection[] | null> {
  const named: GraphQLNamedType = getNamedType(type);
  if (!isObjectType(named) && !isInterfaceType(named)) return fc.constant(null);
  const typename: Selection = { name: '__typename', args: [], children: null };
  const fields = Object.values((named as GraphQLObjectType).getFields());
  if (depth >= MAX_DEPTH) {
    const id = fields.find((f) => f.name === 'id');
    return fc.constant(id ? [typename, { name: 'id', args: [], children: null }] : [typename]);
  }
  return fc
    .subarray(fields, { maxLength: Math.min(3, fields.length) })
    .chain((chosen) =>
      fc
        .tuple(
          ...chosen.map((f) =>
            fc.tuple(argumentsOf(f, opts), selectionOf(f.type, opts, depth + 1)).map(([args, children]): Selection => ({ name: f.name, args, children })),
          ),
        )
        .map((picked) => [typename, ...picked]),
    );
}

function render(selections: Selection[], vars: { defs: string[]; values: Record<string, unknown> }): string {
  return selections
    .map((s, i) => {
      const args = s.args.map((a) => {
        const literal = a.inline ? literalOf(a.value, a.type) : undefined;
        if (literal !== undefined) return `${a.name}: ${literal}`;
        const name = `v${vars.defs.length}`;
        vars.defs.push(`$${name}: ${String(a.type)}`);
        vars.values[name] = a.value;
        return `${a.name}: $${name}`;
      });
      // The same field twice with other arguments would conflict: later ones get aliases.
      const alias = i > 0 && selections.findIndex((o) => o.name === s.name) < i ? `a${i}: ` : '';
      const head = `${alias}${s.name}${args.length ? `(${args.join(', ')})` : ''}`;
      return s.children ? `${head} { ${render(s.children, vars)} }` : head;
    })
    .join(' ');
}

/** Every root field of the schema, each equally likely, with its arguments and a selection. */
export function operationsOf(schema: GraphQLSchema, opts: ValueOptions): fc.Arbitrary<Operation> {
  const roots: [OperationKind, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  const fields = roots.flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, type, field })) : []));
  return fc.constantFrom(...fields).chain(({ kind, type, field }) =>
    fc.tuple(argumentsOf(field, opts), selectionOf(field.type, opts, 1)).map(([args, children]): Operation => {
      const vars = { defs: [] as string[], values: {} as Record<string, unknown> };
      const body = render([{ name: field.name, args, children }], vars);
      const defs = vars.defs.length ? `(${vars.defs.join(', ')})` : '';
      return { kind, field: `${type.name}.${field.name}`, query: `${kind} Fuzz${defs} { ${body} }`, variables: vars.values };
    }),
  );
}
