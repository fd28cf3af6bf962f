import { type GraphQLField, type GraphQLFieldResolver, GraphQLError, type GraphQLSchema } from 'graphql';

/**
 * The path of a refused input inside the field's arguments. Services name a field inside the input
 * object they were given (`events.1.type`); the client wrote `input.events.1.type`. A path that
 * already starts with an argument's name (`ids`, `first`) is kept.
 */
export function argumentPath(field: string, argumentNames: readonly string[]): string {
  const head = field.split('.')[0];
  if (argumentNames.includes(head)) return field;
  if (argumentNames.includes('input')) return `input.${field}`;
  return argumentNames.length === 1 ? `${argumentNames[0]}.${field}` : field;
}

/**
 * A BAD_USER_INPUT naming a field, in the form the edge checks give it: the operation's field and
 * the path inside its arguments, `publishEvents(input.events.1.type): …`, in the message as in
 * `extensions.field`. Anything else is returned as it is.
 */
export function qualifiedInputError(err: unknown, fieldName: string, argumentNames: readonly string[]): unknown {
  if (!(err instanceof GraphQLError) || err.extensions.code !== 'BAD_USER_INPUT') return err;
  const field = err.extensions.field;
  if (typeof field !== 'string' || err.message.startsWith(`${fieldName}(`)) return err;
  // The message may name a path below the field (`events.2.data: …` for the field `events.2`).
  const named = /^([\w.]+): /.exec(err.message)?.[1];
  const inMessage = named && (named === field || named.startsWith(`${field}.`)) ? named : undefined;
  const reason = inMessage ? err.message.slice(inMessage.length + 2) : err.message;
  return new GraphQLError(`${fieldName}(${argumentPath(inMessage ?? field, argumentNames)}): ${reason}`, {
    extensions: { ...err.extensions, field: argumentPath(field, argumentNames) },
    originalError: err.originalError ?? undefined,
  });
}

function wrapped<T extends GraphQLFieldResolver<unknown, unknown>>(resolve: T, field: GraphQLField<unknown, unknown>): T {
  const argumentNames = field.args.map((a) => a.name);
  const call = resolve as (...args: unknown[]) => unknown;
  return (async (...args: unknown[]) => {
    try {
      return await call(...args);
    } catch (err) {
      throw qualifiedInputError(err, field.name, argumentNames);
    }
  }) as unknown as T;
}

/**
 * Gives every root field's refusals the edge checks' form (see qualifiedInputError), so a client
 * finds the same `extensions.field` whichever check refused its input. Changes the schema's root
 * fields in place and returns the schema.
 */
export function qualifyInputErrors(schema: GraphQLSchema): GraphQLSchema {
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (!field.args.length) continue;
      if (field.resolve) field.resolve = wrapped(field.resolve, field);
      if (field.subscribe) field.subscribe = wrapped(field.subscribe, field);
    }
  }
  return schema;
}
