import { visibleOrNotFound } from '../../services/access.ts';
import { attemptWhere, deliveryWhere, RESPONSE_CLASSES } from '../../services/insightFilters.ts';
import { builder, maxPageSize } from '../builder.ts';

export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    PENDING: { description: 'Waiting for its first attempt (or held while its webhook is disabled)' },
    RETRYING: { description: 'Failed so far; the next attempt is scheduled at `nextAttemptAt`' },
    SUCCEEDED: { description: 'A 2xx answer was received' },
    FAILED: { description: 'Every attempt failed: dead-lettered' },
  } as const,
});

const DeliveryHoldEnum = builder.enumType('DeliveryHold', {
  description: 'Why an open delivery is not being attempted at `nextAttemptAt`',
  values: {
    WEBHOOK_DISABLED: { description: 'Its webhook is disabled (see `disabledReason`); enabling it sends what is held' },
    CIRCUIT_OPEN: { description: "Its webhook's circuit is open or half-open; it goes once a probe succeeds (see `heldUntil`)" },
  } as const,
});

type HoldingWebhook = { active: boolean; circuitState: string; circuitNextProbeAt: Date | null };

/** What holds an open delivery back, if anything (a settled one is held by nothing). */
function holdOf(d: { status: string; webhook: HoldingWebhook }): 'WEBHOOK_DISABLED' | 'CIRCUIT_OPEN' | null {
  if (d.status === 'SUCCEEDED' || d.status === 'FAILED') return null;
  if (!d.webhook.active) return 'WEBHOOK_DISABLED';
  return d.webhook.circuitState === 'CLOSED' ? null : 'CIRCUIT_OPEN';
}

const HOLDING_WEBHOOK = { webhook: { select: { active: true, circuitState: true, circuitNextProbeAt: true } } } as const;

export const DeliveryRef = builder.prismaNode('Delivery', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    event: t.relation('event'),
    webhook: t.relation('webhook'),
    tenantId: t.exposeString('tenantId', { nullable: true, description: 'The tenant of the webhook it goes to; null: a project-wide webhook' }),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it is due; while `heldBy` is set it waits longer than that',
    }),
    heldBy: t.field({
      type: DeliveryHoldEnum,
      nullable: true,
      select: { status: true, ...HOLDING_WEBHOOK },
      resolve: (d) => holdOf(d),
    }),
    heldUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: "Held by an open circuit: the circuit's `nextProbeAt`, when one held delivery may go as its probe",
      select: { status: true, ...HOLDING_WEBHOOK },
      resolve: (d) => (holdOf(d) === 'CIRCUIT_OPEN' ? d.webhook.circuitNextProbeAt : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    attempts: t.relatedConnection(
      'attempts',
      { cursor: 'id', maxSize: maxPageSize, totalCount: true, query: () => ({ orderBy: { id: 'desc' } }) },
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

export const ResponseClassEnum = builder.enumType('ResponseClass', {
  description: 'The class of an HTTP answer; NONE: no answer at all (refused, timed out, blocked)',
  values: RESPONSE_CLASSES,
});

/**
 * Connections shared by several fields get `totalCount` by hand (Pothos adds it only to a
 * connection of their own). Every field returning them counts lazily: only when it is selected.
 */
const totalCount = {
  description: 'Rows matching the filters, all pages together; counted only when selected',
  resolve: (connection: object) => {
    const count = (connection as { totalCount?: number | (() => number | Promise<number>) }).totalCount;
    return typeof count === 'function' ? count() : (count ?? 0);
  },
};

export const DeliveryConnection = builder.connectionObject({
  type: DeliveryRef,
  name: 'DeliveryConnection',
  fields: (t) => ({ totalCount: t.int(totalCount) }),
});
const DeliveryAttemptConnection = builder.connectionObject({
  type: DeliveryAttemptRef,
  name: 'DeliveryAttemptConnection',
  fields: (t) => ({ totalCount: t.int(totalCount) }),
});

const SINCE = { type: 'DateTime', description: 'Created at or after' } as const;
const UNTIL = { type: 'DateTime', description: 'Created before' } as const;

builder.queryFields((t) => ({
  deliveries: t.prismaConnection(
    {
      type: 'Delivery',
      cursor: 'id',
      maxSize: maxPageSize,
      description: 'Newest first. `status: FAILED` is the dead-letter list.',
      args: {
        projectId: t.arg.id(),
        webhookId: t.arg.id(),
        eventId: t.arg.id(),
        tenantId: t.arg.string({ description: "Deliveries to this tenant's webhooks" }),
        status: t.arg({ type: DeliveryStatusEnum }),
        eventType: t.arg.string({ description: "The event's exact type" }),
        responseClass: t.arg({ type: ResponseClassEnum, description: 'Deliveries with at least one attempt answered so' }),
        since: t.arg(SINCE),
        until: t.arg(UNTIL),
      },
      resolve: async (query, _root, args, ctx) => {
        const where = await deliveryWhere(ctx.deps, ctx.viewer, args);
        return ctx.deps.db.delivery.findMany({ ...query, where, orderBy: { id: 'desc' } });
      },
      totalCount: async (_root, args, ctx) => ctx.deps.db.delivery.count({ where: await deliveryWhere(ctx.deps, ctx.viewer, args) }),
    },
    DeliveryConnection,
  ),
  attempts: t.prismaConnection(
    {
      type: 'DeliveryAttempt',
      cursor: 'id',
      maxSize: maxPageSize,
      description: 'Delivery attempts across webhooks, newest first: the attempt log.',
      args: {
        projectId: t.arg.id(),
        webhookId: t.arg.id(),
        deliveryId: t.arg.id(),
        tenantId: t.arg.string({ description: "Attempts to this tenant's webhooks" }),
        succeeded: t.arg.boolean(),
        eventType: t.arg.string({ description: "The event's exact type" }),
        responseClass: t.arg({ type: ResponseClassEnum }),
        since: t.arg(SINCE),
        until: t.arg(UNTIL),
      },
      resolve: async (query, _root, args, ctx) => {
        const where = await attemptWhere(ctx.deps, ctx.viewer, args);
        return ctx.deps.db.deliveryAttempt.findMany({ ...query, where, orderBy: { id: 'desc' } });
      },
      totalCount: async (_root, args, ctx) => ctx.deps.db.deliveryAttempt.count({ where: await attemptWhere(ctx.deps, ctx.viewer, args) }),
    },
    DeliveryAttemptConnection,
  ),
  delivery: t.prismaField({
    type: 'Delivery',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const row = await ctx.deps.db.delivery.findUnique({ ...query, where: { id } });
      return visibleOrNotFound(ctx.viewer, 'delivery', id, row);
    },
  }),
}));
