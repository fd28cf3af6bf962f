import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import { qualifyInputErrors } from './qualifiedInputErrors.ts';
import './types/project.ts';
import './types/delivery.ts';
import './types/deliveryMutations.ts';
import './types/webhook.ts';
import './types/webhookFilter.ts';
import './types/event.ts';
import './types/eventType.ts';
import './types/stats.ts';
import './types/viewer.ts';
import './types/tenantToken.ts';
import './subscriptions.ts';
// Registers the federation entities; their keys show only in the subgraph schema.
export { subgraphSchema } from './federation.ts';

export const schema = qualifyInputErrors(builder.toSchema());

/** The SDL checked in as schema.graphql (sorted, so the file diffs cleanly). */
export function printHookpostSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
