import { GraphQLError } from 'graphql';

export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';

/**
 * Every `extensions.code` an answer of the API can carry: ours above, and those of GraphQL itself,
 * Yoga and its persisted-query plugin. docs/errors.md says when each is returned and what a client
 * should do (a test keeps the two in step).
 */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_MISMATCH',
  'INTERNAL_SERVER_ERROR',
] as const satisfies readonly string[];

/** Errors meant for the client: Yoga passes GraphQLErrors through and masks everything else. */
export function clientError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string, field?: string) => clientError('BAD_USER_INPUT', message, field ? { field } : {});

export const notFound = (what: string, id: string) => clientError('NOT_FOUND', `No ${what} with id ${id}`, { id });
