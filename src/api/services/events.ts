import { z } from 'zod';
import type { Viewer } from '../auth/apiKeys.ts';
import { targetProjectId } from '../auth/access.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { isPrismaError } from '../../core/db/errors.ts';
import { clientError, notFound } from '../errors.ts';
import { subscribesTo } from '../../core/eventTypes.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { newId } from '../../core/ids.ts';
import { loadWebhook } from './webhooks.ts';
import { eventData, eventType, parseInput } from './validation.ts';

export interface PublishEventInput {
  projectId?: string | null;
  type: string;
  data?: unknown;
  idempotencyKey?: string | null;
}

const publishSchema = z.object({ type: eventType, data: eventData, idempotencyKey: z.string().min(1).max(255).nullish() });
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

async function replayOf(deps: CoreDeps, projectId: string, idempotencyKey: string) {
  const event = await deps.db.event.findFirst({
    where: { projectId, idempotencyKey, timestamp: { gt: new Date(Date.now() - IDEMPOTENCY_WINDOW_MS) } },
    include: { _count: { select: { deliveries: true } } },
  });
  return event && { event, deliveryCount: event._count.deliveries, replayed: true };
}

/**
 * Commits the event and one delivery per active subscribed webhook before any job exists, so that a
 * queue outage can delay a delivery but never lose it (the worker's reconciler re-enqueues).
 */
export async function publishEvent(deps: CoreDeps, viewer: Viewer | null, input: PublishEventInput) {
  const projectId = targetProjectId(viewer, input.projectId);
  const { type, data, idempotencyKey } = parseInput(publishSchema, input);
  if (idempotencyKey) {
    const replay = await replayOf(deps, projectId, idempotencyKey);
    if (replay) return replay;
  }
  // Reading the subscribers first is what a READ COMMITTED transaction would see anyway; the event
  // and its deliveries are then written by one nested create, atomically, in one transaction.
  const webhooks = await deps.db.webhook.findMany({ where: { projectId, active: true }, select: { id: true, events: true } });
  const deliveries = webhooks
    .filter((w) => subscribesTo(w.events, type))
    .map((w) => ({ id: newId('Delivery'), projectId, webhookId: w.id }));
  if (idempotencyKey) {
    // A key older than the window may be used again: release it from the old event.
    await deps.db.event.updateMany({
      where: { projectId, idempotencyKey, timestamp: { lte: new Date(Date.now() - IDEMPOTENCY_WINDOW_MS) } },
      data: { idempotencyKey: null },
    });
  }
  const committed = await deps.db.event
    .create({
      data: {
        id: newId('Event'),
        projectId,
        type,
        data: data as Prisma.InputJsonObject,
        idempotencyKey,
        deliveries: { createMany: { data: deliveries } },
      },
    })
    .then((event) => ({ event, deliveryIds: deliveries.map((d) => d.id) }))
    .catch(async (err) => {
      if (isPrismaError(err, 'P2003')) throw notFound('project', projectId);
      // The same key published twice at once: the other request's event won the unique index.
      const replay = idempotencyKey && isPrismaError(err, 'P2002') && (await replayOf(deps, projectId, idempotencyKey));
      if (replay) return replay;
      throw err;
    });
  if ('replayed' in committed) return committed;
  await enqueueQuietly(deps, committed.deliveryIds);
  return { event: committed.event, deliveryCount: committed.deliveryIds.length, replayed: false };
}

export interface SendTestEventInput {
  webhookId: string;
  eventType?: string | null;
  data?: unknown;
}

export const TEST_EVENT_TYPE = 'webhook.test';

/** A real event, signed and logged like any other, sent to one webhook only; its data says `test: true`. */
export async function sendTestEvent(deps: CoreDeps, viewer: Viewer | null, input: SendTestEventInput) {
  const webhook = await loadWebhook(deps, viewer, input.webhookId);
  if (!webhook.active) throw clientError('CONFLICT', `Webhook ${webhook.id} is disabled; enable it to send a test event`);
  const parsed = parseInput(
    z.object({ eventType: eventType.nullish(), data: eventData.nullish() }),
    { eventType: input.eventType, data: input.data },
  );
  const type = parsed.eventType ?? TEST_EVENT_TYPE;
  const data = { ...(parsed.data ?? { message: `A test ${type} event from Hookpost` }), test: true };
  const delivery = await deps.db.$transaction(async (tx) => {
    const event = await tx.event.create({
      data: { id: newId('Event'), projectId: webhook.projectId, type, data },
    });
    return tx.delivery.create({
      data: { id: newId('Delivery'), projectId: webhook.projectId, eventId: event.id, webhookId: webhook.id },
    });
  });
  await enqueueQuietly(deps, [delivery.id]);
  return delivery;
}

const ENQUEUE_TIMEOUT_MS = 2000;

/** A failed enqueue is not the caller's failure: the deliveries are committed and the reconciler finds them. */
export async function enqueueQuietly(deps: CoreDeps, deliveryIds: string[]): Promise<void> {
  try {
    // With Redis down, BullMQ would wait for it to return; the caller should not.
    await Promise.race([
      deps.queue.enqueue(deliveryIds.map((id) => ({ id }))),
      new Promise((_, reject) => setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS).unref()),
    ]);
  } catch (err) {
    deps.logger.warn({ err, count: deliveryIds.length }, 'enqueue failed; the reconciler will pick these up');
  }
}
