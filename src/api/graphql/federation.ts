import type { GraphQLSchema } from 'graphql';
import { mayLoadNode } from './node.ts';
import { builder } from './builder.ts';
import { qualifyInputErrors } from './qualifiedInputErrors.ts';
import type { GraphQLContext } from './context.ts';
import { DeliveryRef } from './types/delivery.ts';
import { EventRef } from './types/event.ts';
import { ProjectRef } from './types/project.ts';
import { WebhookRef } from './types/webhook.ts';

/**
 * Apollo Federation v2: the objects other subgraphs may reference, keyed by their prefixed id.
 * A reference is resolved only within the key's project; anything else resolves to null, as `node` does.
 */
const key = builder.selection<{ id: string }>('id');

builder.asEntity(ProjectRef, {
  key,
  resolveReference: async ({ id }, ctx: GraphQLContext) =>
    (await mayLoadNode(ctx.deps.db, ctx.viewer, id)) ? ctx.deps.db.project.findUnique({ where: { id } }) : null,
});
builder.asEntity(WebhookRef, {
  key,
  resolveReference: async ({ id }, ctx: GraphQLContext) =>
    (await mayLoadNode(ctx.deps.db, ctx.viewer, id)) ? ctx.deps.db.webhook.findUnique({ where: { id } }) : null,
});
builder.asEntity(EventRef, {
  key,
  resolveReference: async ({ id }, ctx: GraphQLContext) =>
    (await mayLoadNode(ctx.deps.db, ctx.viewer, id)) ? ctx.deps.db.event.findUnique({ where: { id } }) : null,
});
builder.asEntity(DeliveryRef, {
  key,
  resolveReference: async ({ id }, ctx: GraphQLContext) =>
    (await mayLoadNode(ctx.deps.db, ctx.viewer, id)) ? ctx.deps.db.delivery.findUnique({ where: { id } }) : null,
});

let subgraph: GraphQLSchema | undefined;

/** The same schema plus `_service`, `_entities` and the `@link`/`@key` directives of a subgraph (built once). */
export function subgraphSchema(): GraphQLSchema {
  subgraph ??= qualifyInputErrors(builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6', federationDirectives: ['@key'] }));
  return subgraph;
}
