import { requireViewer, targetProjectId, tenantFilter, tenantScope } from '../../auth/access.ts';
import { MAX_EVENTS_PER_CALL, publishEvent, publishEvents, sendTestEvent } from '../../services/events.ts';
import type { EventRow } from '../../services/eventWriter.ts';
import { visibleEventOrNotFound } from '../../services/access.ts';
import { parseTenantId, tenantEventsWhere } from '../../services/tenants.ts';
import { builder, maxPageSize } from '../builder.ts';
import { DeliveryConnection, DeliveryRef, DeliveryStatusEnum } from './delivery.ts';

export const EventRef = builder.prismaNode('Event', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    tenantId: t.exposeString('tenantId', { nullable: true, description: 'The tenant it was published for; null: project-wide or broadcast' }),
    type: t.exposeString('type'),
    data: t.expose('data', { type: 'JSON' }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    dataPurgedAt: t.expose('dataPurgedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When retention removed the payload (`data` is then {}); null while it is kept',
    }),
    project: t.relation('project'),
    deliveries: t.relatedConnection(
      'deliveries',
      {
        cursor: 'id',
        maxSize: maxPageSize,
        totalCount: true,
        args: { status: t.arg({ type: DeliveryStatusEnum }) },
        // A broadcast went to every tenant: a tenant token sees its own deliveries of it only.
        query: ({ status }, ctx) => {
          const tenantId = tenantScope(ctx.viewer);
          return { where: { ...(status ? { status } : {}), ...(tenantId ? { tenantId } : {}) }, orderBy: { id: 'desc' } };
        },
      },
      DeliveryConnection,
    ),
  }),
});

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** Where a published event goes (see parseRouting). */
function routingFields(t: PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>, of = '') {
  return {
    tenantId: t.string({ description: `To this tenant's matching webhooks and the project-wide ones${of}. Unset: project-wide webhooks only` }),
    broadcast: t.boolean({ description: `True: to every tenant's matching webhooks and the project-wide ones${of}` }),
  };
}

const EventConnection = builder.connectionObject({ type: EventRef, name: 'EventConnection' });

builder.queryFields((t) => ({
  events: t.prismaConnection(
    {
      type: 'Event',
      cursor: 'id',
      maxSize: maxPageSize,
      args: {
        projectId: t.arg.id(),
        type: t.arg.string(),
        tenantId: t.arg.string({ description: "A tenant's events: published for it, and the broadcasts it was sent" }),
      },
      resolve: (query, _root, args, ctx) => {
        const projectId = targetProjectId(ctx.viewer, args.projectId);
        const tenantId = tenantFilter(ctx.viewer, parseTenantId(args.tenantId));
        return ctx.deps.db.event.findMany({
          ...query,
          where: { projectId, ...(args.type ? { type: args.type } : {}), ...(tenantId ? tenantEventsWhere(tenantId) : {}) },
          orderBy: { id: 'desc' },
        });
      },
    },
    EventConnection,
  ),
  event: t.prismaField({
    type: 'Event',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      requireViewer(ctx.viewer);
      const row = await ctx.deps.db.event.findUnique({ ...query, where: { id } });
      return visibleEventOrNotFound(ctx.deps.db, ctx.viewer, id, row);
    },
  }),
}));

builder.relayMutationField(
  'publishEvent',
  {
    inputFields: (t) => ({
      projectId: t.id(),
      type: t.string({ required: true, description: 'A dot-separated event type, e.g. "order.shipped"' }),
      data: t.field({ type: 'JSON', required: true, description: 'A JSON object of at most 256 KiB' }),
      ...routingFields(t),
      idempotencyKey: t.string({
        description: 'Publishing again with the same key within 24 h returns the first event and sends nothing new',
      }),
    }),
  },
  { resolve: (_root, { input }, ctx) => publishEvent(ctx.deps, ctx.viewer, input) },
  {
    outputFields: (t) => ({
      event: t.field({ type: EventRef, resolve: (r) => r.event }),
      deliveryCount: t.int({ resolve: (r) => r.deliveryCount }),
      replayed: t.boolean({ description: 'True when an idempotency key matched an earlier event', resolve: (r) => r.replayed }),
    }),
  },
);

const PublishEventItem = builder.inputType('PublishEventItem', {
  fields: (t) => ({
    type: t.string({ required: true }),
    data: t.field({ type: 'JSON', required: true }),
    idempotencyKey: t.string(),
    ...routingFields(t),
  }),
});

const PublishEventResult = builder.objectRef<{ event: EventRow; deliveryCount: number; replayed: boolean }>('PublishEventResult').implement({
  fields: (t) => ({
    event: t.field({ type: EventRef, resolve: (r) => r.event }),
    deliveryCount: t.exposeInt('deliveryCount'),
    replayed: t.exposeBoolean('replayed'),
  }),
});

builder.relayMutationField(
  'publishEvents',
  {
    inputFields: (t) => ({
      projectId: t.id(),
      ...routingFields(t, ' (for every event that gives neither itself)'),
      events: t.field({ type: [PublishEventItem], required: true, description: `At most ${MAX_EVENTS_PER_CALL}; all are validated before any is written` }),
    }),
  },
  {
    description: 'Publishes many events in one call and one database write; each may carry its own idempotency key',
    resolve: (_root, { input }, ctx) => publishEvents(ctx.deps, ctx.viewer, input),
  },
  {
    outputFields: (t) => ({
      results: t.field({ type: [PublishEventResult], description: 'One per event, in the order given', resolve: (r) => r.results }),
      deliveryCount: t.int({ description: 'Deliveries created by this call (replays create none)', resolve: (r) => r.deliveryCount }),
    }),
  },
);

builder.relayMutationField(
  'sendTestEvent',
  {
    inputFields: (t) => ({
      webhookId: t.id({ required: true }),
      eventType: t.string({ description: 'Defaults to "webhook.test"' }),
      data: t.field({ type: 'JSON', description: 'Sample data; `"test": true` is always added' }),
    }),
  },
  { resolve: (_root, { input }, ctx) => sendTestEvent(ctx.deps, ctx.viewer, input) },
  { outputFields: (t) => ({ delivery: t.field({ type: DeliveryRef, resolve: (d) => d }) }) },
);
