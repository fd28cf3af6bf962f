import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { PothosValidationError } from '@pothos/core';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../core/config.ts';
import { currentRequestId, tagError } from '../requestIds.ts';

/**
 * Limits that keep one request from costing the server more than a normal client ever asks for.
 * Cost multiplies a field by its literal `first`/`last`: 100 deliveries × 50 attempts × their fields
 * (a full dashboard page) is about 80 000; three nested pages of 100 are 10⁶ and refused.
 */
export const QUERY_LIMITS = { maxDepth: 12, maxAliases: 15, maxTokens: 2000, maxCost: 200_000, maxDirectives: 30 };

// Report a refusal as an ordinary validation error (so it gets its code) instead of throwing it.
const reported = {
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(err)],
};

export function hardeningPlugins(config: Config): Plugin[] {
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: QUERY_LIMITS.maxDepth, ...reported },
      maxAliases: { n: QUERY_LIMITS.maxAliases, ...reported },
      // Counted while parsing, before there is a validation context: this one has to throw.
      maxTokens: { n: QUERY_LIMITS.maxTokens },
      costLimit: { maxCost: QUERY_LIMITS.maxCost, objectCost: 2, scalarCost: 1, depthCostFactor: 1, ...reported },
      maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...reported },
    }) as Plugin,
    // A form post or a plain GET from a foreign page carries no JSON content type and no such
    // header, so the browser's CORS preflight protects every request that can mutate.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight'] }),
  ];
  if (!config.security.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  return plugins;
}

/**
 * Yoga masks every error that is not a GraphQLError. Pothos reports bad connection arguments
 * (a malformed cursor, `before` with `first`) as a PothosValidationError: that is the client's input.
 * A masked error carries the request's id, which the client can quote and the log line with the
 * cause carries too (see app.ts's logging).
 */
export function maskError(error: unknown, message: string): GraphQLError {
  if (error instanceof GraphQLError) {
    const original = error.originalError;
    // PothosValidationError is itself a GraphQLError, so it is checked first.
    if (original instanceof PothosValidationError) {
      return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code: 'BAD_USER_INPUT' } });
    }
    if (!original || original instanceof GraphQLError) return error;
  }
  const requestId = currentRequestId();
  tagError(error, requestId);
  return new GraphQLError(message, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  });
}
