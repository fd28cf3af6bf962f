import { type DocumentNode, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLOutcome, Metrics } from '../../core/metrics.ts';

function operationOf(document: DocumentNode, operationName: string | null | undefined) {
  const op = getOperationAST(document, operationName);
  return { name: op?.name?.value ?? operationName, type: op?.operation ?? 'unknown' };
}

function outcomeOf(result: unknown): GraphQLOutcome {
  const errors = (result as { errors?: readonly unknown[] } | null)?.errors;
  return errors?.length ? 'error' : 'ok';
}

/**
 * Counts every operation once: refused by validation (`invalid`), or executed / subscribed, `ok` or
 * `error` by whether its result carried errors. Runs over HTTP, SSE and graphql-ws alike.
 */
export function useOperationMetrics(metrics: Metrics): Plugin {
  return {
    onValidate:
      ({ params, context }) =>
      ({ result }) => {
        if (!result.length) return;
        const asked = (context as { params?: { operationName?: string } }).params?.operationName;
        const { name, type } = operationOf(params.documentAST, asked);
        metrics.graphqlOperation(name, type, 'invalid');
      },
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result }) => {
        const { name, type } = operationOf(args.document, args.operationName);
        metrics.graphqlOperation(name, type, Symbol.asyncIterator in result ? 'ok' : outcomeOf(result));
      },
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result }) => {
        const { name, type } = operationOf(args.document, args.operationName);
        metrics.graphqlOperation(name, type, Symbol.asyncIterator in result ? 'ok' : outcomeOf(result));
      },
    }),
  };
}
