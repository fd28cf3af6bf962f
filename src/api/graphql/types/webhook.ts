import { targetProjectId, tenantFilter } from '../../auth/access.ts';
import { createWebhook, deleteWebhook, finishWebhookSecretRotation, rotateWebhookSecret, updateWebhook } from '../../services/webhooks.ts';
import { visibleOrNotFound } from '../../services/access.ts';
import { parseTenantId } from '../../services/tenants.ts';
import { type RetryPolicy, scheduleOf } from '../../../core/delivery/retryPolicy.ts';
import { redactHeaders } from '../../../core/crypto/sensitiveHeaders.ts';
import { CIRCUIT_STATES, type CircuitState } from '../../../core/delivery/circuit.ts';
import { RetryPolicyInput } from './retryPolicyInput.ts';
import { settingsOf } from '../../services/projectSettings.ts';
import { builder, maxPageSize } from '../builder.ts';
import { DeliveryConnection, DeliveryStatusEnum } from './delivery.ts';

const CircuitStateEnum = builder.enumType('CircuitState', {
  description: 'CLOSED: deliveries flow. OPEN: held (no attempts spent) until the next probe. HALF_OPEN: one probe delivery is under way',
  values: CIRCUIT_STATES,
});

interface CircuitFields {
  state: CircuitState;
  openedAt: Date | null;
  nextProbeAt: Date | null;
}

const WebhookCircuit = builder.objectRef<CircuitFields>('WebhookCircuit').implement({
  description: "The endpoint's circuit breaker: opened by consecutive failures, closed by a successful probe",
  fields: (t) => ({
    state: t.field({ type: CircuitStateEnum, resolve: (c) => c.state }),
    openedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.openedAt }),
    nextProbeAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When open: when one delivery will be sent as a probe. When half-open: when another may be, should this one get no answer',
      resolve: (c) => c.nextProbeAt,
    }),
  }),
});

export const WebhookRef = builder.prismaNode('Webhook', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    tenantId: t.exposeString('tenantId', {
      nullable: true,
      description: "The tenant (your customer) owning this endpoint; null: project-wide, it receives every tenant's events. Set on creation, never changed.",
    }),
    name: t.exposeString('name', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    url: t.exposeString('url'),
    events: t.exposeStringList('events'),
    active: t.exposeBoolean('active'),
    headers: t.field({
      type: 'JSON',
      description: 'Extra request headers, name to value; a sensitive value shows only as a hint (••••1234)',
      // Sealed values are stored as hints already; a row from before sealing is redacted here too.
      resolve: (w) => redactHeaders(w.headers as Record<string, string>, w.sensitiveHeaders),
    }),
    sensitiveHeaders: t.exposeStringList('sensitiveHeaders', {
      description: 'Header names this webhook marks sensitive, besides Authorization, Cookie and names containing key, token, secret, password or auth',
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    maxConcurrency: t.exposeInt('maxConcurrency', {
      description: 'Deliveries to this endpoint in flight at once (per worker process); the rest wait their turn',
    }),
    rateLimitPerSecond: t.exposeInt('rateLimitPerSecond', {
      nullable: true,
      description: 'Most requests this endpoint receives in any one second, across all workers; null: no limit',
    }),
    circuit: t.field({
      type: WebhookCircuit,
      select: { circuitState: true, circuitOpenedAt: true, circuitNextProbeAt: true },
      resolve: (w) => ({ state: w.circuitState as CircuitState, openedAt: w.circuitOpenedAt, nextProbeAt: w.circuitNextProbeAt }),
    }),
    ordered: t.exposeBoolean('ordered', {
      description:
        'Deliveries go one at a time, in the order their events were published; a failing one holds back the rest until it succeeds or is dead-lettered',
    }),
    secretHint: t.exposeString('secretHint', { description: 'The last 4 characters of the signing secret' }),
    retryPolicy: t.expose('retryPolicy', { type: 'JSON', nullable: true, description: "As configured; null: its project's (`Project.delivery.retryPolicy`)" }),
    filter: t.expose('filter', {
      type: 'JSON',
      nullable: true,
      description: 'Only events matching this query are delivered; null: every event of the subscribed types',
    }),
    retrySchedule: t.floatList({
      description:
        "Seconds waited after each failed attempt (before ±20 % jitter), under the webhook's own policy or its project's; attempts in all = length + 1",
      select: {
        retryPolicy: true,
        project: { select: { headerPrefix: true, signatureFormat: true, envelope: true, userAgent: true, retryPolicy: true, disableAfterFailures: true } },
      },
      resolve: (w, _args, ctx) => scheduleOf((w.retryPolicy as RetryPolicy | null) ?? settingsOf(ctx.deps.config, w.project).retryPolicy, []),
    }),
    previousSecretExpiresAt: t.expose('previousSecretExpiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Until then deliveries are also signed with the secret before the last rotation',
    }),
    consecutiveFailures: t.exposeInt('consecutiveFailures'),
    disabledReason: t.exposeString('disabledReason', { nullable: true }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    project: t.relation('project'),
    deliveries: t.relatedConnection(
      'deliveries',
      {
        cursor: 'id',
        maxSize: maxPageSize,
        totalCount: true,
        args: { status: t.arg({ type: DeliveryStatusEnum }) },
        query: ({ status }) => ({ where: status ? { status } : {}, orderBy: { id: 'desc' } }),
      },
      DeliveryConnection,
    ),
  }),
});

const WebhookConnection = builder.connectionObject({ type: WebhookRef, name: 'WebhookConnection' });

builder.queryFields((t) => ({
  webhooks: t.prismaConnection(
    {
      type: 'Webhook',
      cursor: 'id',
      maxSize: maxPageSize,
      args: { projectId: t.arg.id(), tenantId: t.arg.string({ description: "Only this tenant's webhooks" }) },
      resolve: (query, _root, args, ctx) => {
        const projectId = targetProjectId(ctx.viewer, args.projectId);
        const tenantId = tenantFilter(ctx.viewer, parseTenantId(args.tenantId));
        return ctx.deps.db.webhook.findMany({ ...query, where: { projectId, ...(tenantId ? { tenantId } : {}) }, orderBy: { id: 'desc' } });
      },
    },
    WebhookConnection,
  ),
  webhook: t.prismaField({
    type: 'Webhook',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) =>
      visibleOrNotFound(ctx.viewer, 'webhook', id, await ctx.deps.db.webhook.findUnique({ ...query, where: { id } })),
  }),
}));

builder.relayMutationField(
  'createWebhook',
  {
    inputFields: (t) => ({
      projectId: t.id(),
      tenantId: t.string({
        description: "Your customer's id (1-255 of A-Z a-z 0-9 . _ : -): the webhook gets that tenant's events only. Unset: project-wide.",
      }),
      url: t.string({ required: true }),
      events: t.stringList({ required: true, description: 'Event types; `*` is a wildcard segment ("order.*", "*")' }),
      name: t.string(),
      description: t.string(),
      secret: t.string({ description: 'Defaults to a new `whsec_` secret. Returned once, never again.' }),
      active: t.boolean(),
      headers: t.field({
        type: 'JSON',
        description:
          'Extra request headers, name to value. Values of sensitive headers are encrypted and shown only as a hint; on update, send a hint back (or leave `headers` out) to keep its value',
      }),
      sensitiveHeaders: t.stringList({ description: 'More header names whose values are encrypted and hidden like credentials' }),
      timeoutSeconds: t.int(),
      maxConcurrency: t.int({ description: 'Default 10' }),
      rateLimitPerSecond: t.int({ description: '1..10000 requests per second; default none' }),
      ordered: t.boolean({ description: 'Default false: one delivery at a time, in publish order' }),
      retryPolicy: t.field({ type: RetryPolicyInput }),
      filter: t.field({ type: 'JSON', description: 'A MongoDB-style query over the event {id, type, timestamp, data}; only matching events are delivered' }),
    }),
  },
  { resolve: (_root, { input }, ctx) => createWebhook(ctx.deps, ctx.viewer, input) },
  {
    outputFields: (t) => ({
      webhook: t.field({ type: WebhookRef, resolve: (r) => r.webhook }),
      secret: t.string({ description: 'The signing secret. It is shown only here.', resolve: (r) => r.secret }),
    }),
  },
);

builder.relayMutationField(
  'updateWebhook',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      url: t.string(),
      events: t.stringList(),
      name: t.string(),
      description: t.string(),
      active: t.boolean(),
      headers: t.field({ type: 'JSON', description: 'Replaces every header; a sensitive header given as its hint (••••1234) keeps its value' }),
      sensitiveHeaders: t.stringList({ description: 'Replaces the list; values of headers it adds are encrypted from now on' }),
      timeoutSeconds: t.int(),
      maxConcurrency: t.int(),
      rateLimitPerSecond: t.int({ description: 'null: no limit' }),
      ordered: t.boolean({ description: 'Applies to events published from then on; turning it off releases the waiting deliveries at once' }),
      retryPolicy: t.field({ type: RetryPolicyInput, description: "null: back to its project's policy" }),
      filter: t.field({ type: 'JSON', description: 'null: no filter, every event of the subscribed types' }),
    }),
  },
  { resolve: (_root, { input }, ctx) => updateWebhook(ctx.deps, ctx.viewer, input) },
  { outputFields: (t) => ({ webhook: t.field({ type: WebhookRef, resolve: (w) => w }) }) },
);

builder.relayMutationField(
  'deleteWebhook',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  {
    resolve: async (_root, { input }, ctx) => ({
      deletedWebhookId: await deleteWebhook(ctx.deps, ctx.viewer, input.id),
    }),
  },
  { outputFields: (t) => ({ deletedWebhookId: t.id({ resolve: (r) => r.deletedWebhookId }) }) },
);

builder.relayMutationField(
  'rotateWebhookSecret',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      secret: t.string({ description: 'Defaults to a new `whsec_` secret' }),
      gracePeriodSeconds: t.int({
        description:
          'How long the old secret keeps signing too (default 86400; 0 ends it now): beside the new one in `webhook-signature`, alone in the branded header, until finishWebhookSecretRotation',
      }),
    }),
  },
  { resolve: (_root, { input }, ctx) => rotateWebhookSecret(ctx.deps, ctx.viewer, input) },
  {
    outputFields: (t) => ({
      webhook: t.field({ type: WebhookRef, resolve: (r) => r.webhook }),
      secret: t.string({ description: 'The new signing secret. It is shown only here.', resolve: (r) => r.secret }),
    }),
  },
);

builder.relayMutationField(
  'finishWebhookSecretRotation',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  {
    description:
      "Ends a rotation's grace period now, once the receiver has the new secret: from the next attempt on only the new secret signs, the branded header included",
    resolve: (_root, { input }, ctx) => finishWebhookSecretRotation(ctx.deps, ctx.viewer, input),
  },
  { outputFields: (t) => ({ webhook: t.field({ type: WebhookRef, resolve: (w) => w }) }) },
);
