import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** The status of a refusal of the HTTP request itself (the CSRF check's has no code); undefined for other errors. */
const httpStatusOf = (error: GraphQLError) => (error.extensions?.http as { status?: number } | undefined)?.status;

/**
 * Gives graphql-js's own errors the codes Apollo tooling expects: a document that does not validate is
 * GRAPHQL_VALIDATION_FAILED, and variables that do not fit their types (errors with no path: no
 * resolver ran) are BAD_USER_INPUT. Whatever else reaches the client without a code gets one by its
 * HTTP status (403 FORBIDDEN, else BAD_REQUEST), so that every error carries a code of the documented
 * set (docs/errors.md); an execution error without one is left as it is, for the tests to find.
 */
export function useErrorCodes(): Plugin {
  return {
    onResultProcess: ({ result, setResult }) => {
      if (Symbol.asyncIterator in result) return;
      const coded = (one: ExecutionResult) =>
        one.errors?.some((e) => !e.extensions?.code && httpStatusOf(e))
          ? { ...one, errors: one.errors.map((e) => (httpStatusOf(e) ? withCode(e, httpStatusOf(e) === 403 ? 'FORBIDDEN' : 'BAD_REQUEST') : e)) }
          : one;
      setResult(Array.isArray(result) ? result.map(coded) : coded(result));
    },
    onValidate:
      () =>
      ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (Symbol.asyncIterator in result || !result.errors?.length) return;
        setResult({ ...result, errors: result.errors.map((e) => (e.path ? e : withCode(e, 'BAD_USER_INPUT'))) });
      },
    }),
    // A subscription's variables are coerced when it starts: the same refusals, answered the same.
    onSubscribe: () => ({
      onSubscribeResult: ({ result, setResult }) => {
        if (Symbol.asyncIterator in result || !result.errors?.length) return;
        setResult({ ...result, errors: result.errors.map((e) => (e.path ? e : withCode(e, 'BAD_USER_INPUT'))) });
      },
    }),
  };
}
