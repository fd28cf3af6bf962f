import { requireViewer, projectScope, targetProjectId } from '../../auth/access.ts';
import type { Prisma } from '../../../generated/prisma/client.ts';
import { visibleOrNotFound } from '../../services/access.ts';
import { loadWebhook } from '../../services/webhooks.ts';
import { builder, maxPageSize } from '../builder.ts';

export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    PENDING: { description: 'Waiting for its first attempt (or held while its webhook is disabled)' },
    RETRYING: { description: 'Failed so far; the next attempt is scheduled at `nextAttemptAt`' },
    SUCCEEDED: { description: 'A 2xx answer was received' },
    FAILED: { description: 'Every attempt failed: dead-lettered' },
  } as const,
});

export const DeliveryRef = builder.prismaNode('Delivery', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    event: t.relation('event'),
    webhook: t.relation('webhook'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    attempts: t.relatedConnection(
      'attempts',
      { cursor: 'id', maxSize: maxPageSize, query: () => ({ orderBy: { id: 'desc' } }) },
      DeliveryAttemptConnection,
    ),
  }),
});

export const DeliveryAttemptRef = builder.prismaNode('DeliveryAttempt', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    delivery: t.relation('delivery'),
    attemptNumber: t.exposeInt('attemptNumber'),
    url: t.exposeString('url'),
    requestHeaders: t.expose('requestHeaders', { type: 'JSON' }),
    responseStatus: t.exposeInt('responseStatus', { nullable: true }),
    responseHeaders: t.expose('responseHeaders', { type: 'JSON', nullable: true }),
    responseBody: t.exposeString('responseBody', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true }),
    succeeded: t.exposeBoolean('succeeded'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const DeliveryConnection = builder.connectionObject({ type: DeliveryRef, name: 'DeliveryConnection' });
const DeliveryAttemptConnection = builder.connectionObject({
  type: DeliveryAttemptRef,
  name: 'DeliveryAttemptConnection',
});

builder.queryFields((t) => ({
  deliveries: t.prismaConnection({
    type: 'Delivery',
    cursor: 'id',
    maxSize: maxPageSize,
    description: 'Newest first. `status: FAILED` is the dead-letter list.',
    args: {
      projectId: t.arg.id(),
      webhookId: t.arg.id(),
      eventId: t.arg.id(),
      status: t.arg({ type: DeliveryStatusEnum }),
    },
    resolve: async (query, _root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const where: Prisma.DeliveryWhereInput = { projectId: projectScope(viewer) };
      if (args.projectId) where.projectId = targetProjectId(viewer, args.projectId);
      if (args.webhookId) where.webhookId = (await loadWebhook(ctx.deps, viewer, args.webhookId)).id;
      if (args.eventId) {
        const event = await ctx.deps.db.event.findUnique({ where: { id: args.eventId } });
        where.eventId = visibleOrNotFound(viewer, 'event', args.eventId, event).id;
      }
      if (args.status) where.status = args.status;
      return ctx.deps.db.delivery.findMany({ ...query, where, orderBy: { id: 'desc' } });
    },
  }, DeliveryConnection),
  delivery: t.prismaField({
    type: 'Delivery',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const row = await ctx.deps.db.delivery.findUnique({ ...query, where: { id } });
      return visibleOrNotFound(ctx.viewer, 'delivery', id, row);
    },
  }),
}));
