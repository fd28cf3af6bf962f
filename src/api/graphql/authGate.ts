import { type DocumentNode, type ExecutionArgs, getOperationAST, Kind, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE } from '../auth/access.ts';
import { clientError } from '../errors.ts';
import type { GraphQLContext } from './context.ts';

/** Root fields that read the schema and nothing else: tooling (codegen, a federation router) may ask them without a key. */
const SCHEMA_FIELDS = new Set(['__typename', '__schema', '__type', '_service']);

function readsOnlySchema(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return false;
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])));
  const seen = new Set<string>();
  const only = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return SCHEMA_FIELDS.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return only(s.selectionSet);
      if (seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      const spread = fragments.get(s.name.value);
      return spread ? only(spread) : true;
    });
  return only(operation.selectionSet);
}

/**
 * Authentication before anything else: an operation without a valid credential is answered
 * UNAUTHENTICATED before any of its resolvers run, so an anonymous caller cannot make the API read
 * or write the database (a credential that is not well-formed costs no query at all, see
 * authenticator.ts). Reading the schema is the one thing allowed without a key.
 */
export function useAuthGate(): Plugin {
  const refusal = (args: ExecutionArgs) => {
    const context = args.contextValue as GraphQLContext;
    if (context.viewer || readsOnlySchema(args.document, args.operationName)) return undefined;
    return clientError('UNAUTHENTICATED', context.keySent ? INVALID_KEY_MESSAGE : MISSING_KEY_MESSAGE);
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
