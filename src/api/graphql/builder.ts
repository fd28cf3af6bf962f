import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import InputLimitsPlugin from './inputLimitsPlugin.ts';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin, { resolveNodes } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type PrismaTypes from '../../generated/pothos-types.ts';
import { getDatamodel } from '../../generated/pothos-types.ts';
import { requireViewer } from '../auth/access.ts';
import { badInput } from '../errors.ts';
import { typeOfId } from '../../core/ids.ts';
import { mayLoadNode } from './node.ts';
import type { GraphQLContext } from './context.ts';

/**
 * Where a Prisma field whose resolver ignored Pothos's `query` (so its selections cost extra queries)
 * is reported. The schema is built once per process; `buildApp` decides, by environment, what to do.
 */
const unusedQuery = { report: (_info: GraphQLResolveInfo): void => {} };
export function reportUnusedQueries(report: (info: GraphQLResolveInfo) => void): void {
  unusedQuery.report = report;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
}>({
  // Federation only annotates types here; the subgraph schema is built on demand (./federation.ts).
  plugins: [PrismaPlugin, RelayPlugin, DirectivePlugin, FederationPlugin, InputLimitsPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.deps.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    maxConnectionSize: 100,
    defaultConnectionSize: 20,
    onUnusedQuery: (info) => unusedQuery.report(info),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeFieldOptions: { nullable: false },
    // The prefixed id IS the global id: `whk_…` already says which type it is.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => ({ typename: typeOfId(globalID) ?? 'Unknown', id: globalID }),
    nodeQueryOptions: {
      resolve: async (_root, { id }, ctx, _info, resolveNode) => {
        requireViewer(ctx.viewer);
        return (await mayLoadNode(ctx.deps.db, ctx.viewer, String(id.id))) ? resolveNode(id) : null;
      },
    },
    nodesQueryOptions: {
      // Answered per id: only the ids the viewer may see are loaded, the others are null (the
      // callback Pothos passes loads every id given, and one of no known kind fails the whole list).
      resolve: async (_root, { ids }, ctx, info): Promise<unknown[]> => {
        requireViewer(ctx.viewer);
        const visible = await Promise.all(ids.map((id) => mayLoadNode(ctx.deps.db, ctx.viewer, String(id.id))));
        return resolveNodes(
          builder,
          ctx,
          info,
          ids.map((id, i) => (visible[i] ? id : null)),
        );
      },
    },
  },
});

export const MAX_PAGE_SIZE = 100;

/** Connection `maxSize`: asking for more than a page holds is an error, not a silently short page. */
export function maxPageSize(args: { first?: number | null; last?: number | null }): number {
  const asked = args.first ?? args.last ?? 0;
  if (asked > MAX_PAGE_SIZE) throw badInput(`first and last may be at most ${MAX_PAGE_SIZE}`, args.first != null ? 'first' : 'last');
  if (asked < 0) throw badInput('first and last must not be negative', args.first != null ? 'first' : 'last');
  return MAX_PAGE_SIZE;
}

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
