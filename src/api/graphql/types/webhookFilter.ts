import { testWebhookFilter } from '../../services/filterTrial.ts';
import { builder } from '../builder.ts';

builder.relayMutationField(
  'testWebhookFilter',
  {
    inputFields: (t) => ({
      filter: t.field({ type: 'JSON', required: true, description: 'As in createWebhook' }),
      type: t.string({ required: true, description: 'The event type' }),
      data: t.field({ type: 'JSON', required: true, description: 'The event data' }),
    }),
  },
  {
    description: 'Tries a webhook filter on an event without publishing anything; a filter createWebhook would refuse is refused here too',
    resolve: (_root, { input }, ctx) => testWebhookFilter(ctx.viewer, input),
  },
  {
    outputFields: (t) => ({
      matches: t.boolean({ description: 'Whether a webhook with this filter would get the event', resolve: (r) => r.matches }),
    }),
  },
);
