import { requireViewer, targetProjectId, tenantScope } from '../auth/access.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import type { Topics } from '../../core/broadcaster.ts';
import { type Keep, MessageQueue } from '../../core/messageQueue.ts';
import { clientError } from '../errors.ts';
import { loadWebhook } from '../services/webhooks.ts';
import { builder } from './builder.ts';
import { loadOncePerMessage } from './sharedLoad.ts';
import { tenantOfWebhook } from './webhookTenants.ts';
import type { GraphQLContext } from './context.ts';

interface Scope {
  webhookId?: string | null;
  projectId?: string | null;
}

/**
 * Checks the arguments up front (a foreign webhook or project is refused before anything streams),
 * then narrows the stream to what the key may see; a tenant token sees its own tenant's webhooks only.
 */
async function scopedFilter(ctx: GraphQLContext, args: Scope) {
  const viewer: Viewer = requireViewer(ctx.viewer);
  if (args.webhookId) await loadWebhook(ctx.deps, viewer, args.webhookId);
  const projectId = args.projectId || viewer.scope !== 'ADMIN' ? targetProjectId(viewer, args.projectId) : undefined;
  const inScope = (msg: { webhookId: string; projectId: string }) =>
    (!projectId || msg.projectId === projectId) && (!args.webhookId || msg.webhookId === args.webhookId);
  const tenantId = tenantScope(viewer);
  if (!tenantId) return inScope;
  return async (msg: { webhookId: string; projectId: string }) => inScope(msg) && (await tenantOfWebhook(ctx.deps.sql, msg.webhookId)) === tenantId;
}

/** Messages a subscriber may fall behind by before its stream ends (it can resubscribe and read the log). */
const BACKLOG = 10_000;

/**
 * The topic's messages that pass `keep`, until the key that opened the stream is revoked: then the
 * stream ends with UNAUTHENTICATED, over SSE as over WebSocket (whose socket is also closed).
 */
function stream<K extends keyof Topics>(ctx: GraphQLContext, topic: K, keep: Keep<Topics[K]>) {
  const viewer = requireViewer(ctx.viewer);
  const queue = new MessageQueue<Topics[K]>({
    keep,
    limit: BACKLOG,
    overflow: () =>
      clientError('RATE_LIMITED', `The subscriber fell ${BACKLOG} messages behind; subscribe again and read the delivery log for what was missed`),
  });
  const { broadcaster } = ctx.deps;
  queue.onClose(broadcaster.listen(topic, (message) => queue.push(message)));
  queue.onClose(
    broadcaster.listen('apiKeyRevoked', ({ keyId }) => {
      if (keyId === viewer.keyId) queue.fail(clientError('UNAUTHENTICATED', 'API key revoked'));
    }),
  );
  // A tenant token's stream ends when the token does.
  if (viewer.scope === 'TENANT') {
    const expiry = setTimeout(() => queue.fail(clientError('UNAUTHENTICATED', 'Tenant token expired')), viewer.expiresAt.getTime() - Date.now());
    queue.onClose(() => clearTimeout(expiry));
  }
  return queue;
}

builder.subscriptionFields((t) => ({
  deliveryAttemptCreated: t.prismaField({
    type: 'DeliveryAttempt',
    nullable: true,
    args: { webhookId: t.arg.id(), projectId: t.arg.id() },
    subscribe: async (_root, args, ctx) => stream(ctx, 'deliveryAttemptCreated', await scopedFilter(ctx, args)),
    resolve: (query, msg: Topics['deliveryAttemptCreated'], _args, ctx) =>
      loadOncePerMessage(msg, query, () => ctx.deps.db.deliveryAttempt.findUnique({ ...query, where: { id: msg.attemptId } })),
  }),
  deliveryUpdated: t.prismaField({
    type: 'Delivery',
    nullable: true,
    args: { deliveryId: t.arg.id(), webhookId: t.arg.id(), projectId: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const keep = await scopedFilter(ctx, args);
      return stream(ctx, 'deliveryUpdated', (msg) => (!args.deliveryId || msg.deliveryId === args.deliveryId) && keep(msg));
    },
    resolve: (query, msg: Topics['deliveryUpdated'], _args, ctx) =>
      loadOncePerMessage(msg, query, () => ctx.deps.db.delivery.findUnique({ ...query, where: { id: msg.deliveryId } })),
  }),
  webhookStatusChanged: t.prismaField({
    type: 'Webhook',
    nullable: true,
    description: 'A webhook was disabled (by failures, a 410, or a user) or enabled again, or its circuit opened, went half-open or closed',
    args: { projectId: t.arg.id(), webhookId: t.arg.id() },
    subscribe: async (_root, args, ctx) => stream(ctx, 'webhookStatusChanged', await scopedFilter(ctx, args)),
    resolve: async (query, msg: Topics['webhookStatusChanged'], _args, ctx) => {
      const webhook = await loadOncePerMessage(msg, query, () => ctx.deps.db.webhook.findUnique({ ...query, where: { id: msg.webhookId } }));
      // The circuit as it was when the message was sent: the row may have moved on already.
      const c = msg.circuit;
      if (!webhook || !c) return webhook;
      const at = (iso: string | null) => (iso === null ? null : new Date(iso));
      return { ...webhook, circuitState: c.state, circuitOpenedAt: at(c.openedAt), circuitNextProbeAt: at(c.nextProbeAt) };
    },
  }),
}));
