import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.ts';

/**
 * Marks a tenant token's viewer as `mutating` for the length of a mutation. The access helpers then
 * refuse it project-level changes (FORBIDDEN) while letting it read the same data in queries and
 * subscriptions: a field added later that reads or writes project-level data through them gets the
 * right answer without knowing about tenants.
 */
export function useTenantMutations(): Plugin<GraphQLContext> {
  return {
    onExecute: ({ args, extendContext }) => {
      const viewer = (args.contextValue as GraphQLContext).viewer;
      if (viewer?.scope !== 'TENANT') return;
      if (getOperationAST(args.document, args.operationName)?.operation === 'mutation') {
        extendContext({ viewer: { ...viewer, mutating: true } });
      }
    },
  };
}
