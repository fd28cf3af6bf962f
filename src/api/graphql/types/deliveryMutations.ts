import { recoverFailedDeliveries, retryDelivery } from '../../services/deliveries.ts';
import { builder } from '../builder.ts';
import { DeliveryRef } from './delivery.ts';

builder.relayMutationField(
  'retryDelivery',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  {
    description: 'Attempts the delivery now. FAILED: a fresh retry schedule. SUCCEEDED: sends it again (a resend). Open: brings the next attempt forward.',
    resolve: (_root, { input }, ctx) => retryDelivery(ctx.deps, ctx.viewer, input.id),
  },
  { outputFields: (t) => ({ delivery: t.field({ type: DeliveryRef, resolve: (d) => d }) }) },
);

builder.relayMutationField(
  'recoverFailedDeliveries',
  {
    inputFields: (t) => ({
      webhookId: t.id({ required: true }),
      since: t.field({ type: 'DateTime', required: true }),
      until: t.field({ type: 'DateTime', description: 'Defaults to now' }),
    }),
  },
  {
    description: 'Re-queues every FAILED delivery of the webhook created in [since, until), in event order.',
    resolve: async (_root, { input }, ctx) => ({ count: await recoverFailedDeliveries(ctx.deps, ctx.viewer, input) }),
  },
  { outputFields: (t) => ({ count: t.int({ resolve: (r) => r.count }) }) },
);
