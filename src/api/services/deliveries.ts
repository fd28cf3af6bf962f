import { z } from 'zod';
import type { Viewer } from '../auth/apiKeys.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { clientError } from '../errors.ts';
import { visibleOrNotFound } from './access.ts';
import { parseInput } from './validation.ts';
import { loadWebhook } from './webhooks.ts';

/** Tells the workers the webhook has due deliveries now (if Redis does not take it, their sweep finds them). */
async function wakeFor(deps: CoreDeps, webhook: { id: string }, inLine: boolean): Promise<void> {
  const wakeup = inLine ? { webhookIds: [], lines: [webhook.id] } : { webhookIds: [webhook.id], lines: [] };
  await deps.queue.wake(wakeup).catch((err) => deps.logger.warn({ err, webhookId: webhook.id }, 'could not wake the workers; their sweep finds the delivery'));
}

function refuseWhileDisabled(webhook: { id: string; active: boolean }) {
  if (!webhook.active) {
    throw clientError('CONFLICT', `Webhook ${webhook.id} is disabled; enable it first (its deliveries are held until then)`);
  }
}

/** Retention emptied the event's payload: sending it again would send `{}`. */
function refuseWithoutPayload(delivery: { id: string; event: { dataPurgedAt: Date | null } }) {
  if (delivery.event.dataPurgedAt) {
    throw clientError('CONFLICT', `Delivery ${delivery.id} cannot be sent again: its event's payload was removed by retention`);
  }
}

/**
 * One more attempt now. A FAILED delivery gets a fresh retry schedule; a SUCCEEDED one is sent again
 * because it was asked for (a resend); an open one has its next attempt brought forward.
 * Every attempt is logged on the same delivery, numbered on from the earlier ones. A delivery of an
 * ordered webhook's line takes its old place in it: it goes after the line's live delivery, before
 * the open ones of later events.
 */
export async function retryDelivery(deps: CoreDeps, viewer: Viewer | null, id: string) {
  // The worker may settle the delivery between our read and our write: read again and retry.
  for (let round = 0; round < 3; round++) {
    const existing = await deps.db.delivery.findUnique({
      where: { id },
      include: { webhook: { select: { id: true, active: true, ordered: true } }, event: { select: { dataPurgedAt: true } } },
    });
    const delivery = visibleOrNotFound(viewer, 'delivery', id, existing);
    refuseWhileDisabled(delivery.webhook);
    refuseWithoutPayload(delivery);
    const settled = delivery.status === 'SUCCEEDED' || delivery.status === 'FAILED';
    const { count } = await deps.db.delivery.updateMany({
      where: { id, status: delivery.status, attemptCount: delivery.attemptCount },
      data: settled ? { status: 'PENDING', nextAttemptAt: new Date(), scheduleOffset: delivery.attemptCount } : { nextAttemptAt: new Date() },
    });
    if (!count) continue;
    await wakeFor(deps, delivery.webhook, delivery.lineSeq !== null && delivery.webhook.ordered);
    deps.broadcaster.publish('deliveryUpdated', { deliveryId: id, webhookId: delivery.webhookId, projectId: delivery.projectId });
    return deps.db.delivery.findUniqueOrThrow({ where: { id } });
  }
  throw clientError('CONFLICT', `Delivery ${id} keeps changing while being retried; try again`);
}

const windowSchema = z
  .object({ since: z.date(), until: z.date().nullish() })
  .refine((w) => !w.until || w.until > w.since, { message: 'until must be after since', path: ['until'] });

/** Re-queues every dead-lettered delivery of a webhook created in [since, until), oldest event first. */
export async function recoverFailedDeliveries(deps: CoreDeps, viewer: Viewer | null, input: { webhookId: string; since: Date; until?: Date | null }) {
  const webhook = await loadWebhook(deps, viewer, input.webhookId);
  refuseWhileDisabled(webhook);
  const { since, until } = parseInput(windowSchema, input);
  // One statement: each row starts its fresh schedule at its own attempt count. Prisma keeps
  // timestamps as UTC without a zone, hence the explicit conversion of the bounds.
  const recovered = await deps.db.$queryRaw<{ id: string; attempt_count: number; in_line: boolean }[]>`
    UPDATE "deliveries"
       SET "status" = 'PENDING', "next_attempt_at" = now() AT TIME ZONE 'UTC', "schedule_offset" = "attempt_count",
           "updated_at" = now() AT TIME ZONE 'UTC'
     WHERE "webhook_id" = ${webhook.id} AND "status" = 'FAILED'
       AND "created_at" >= (${since.toISOString()}::timestamptz AT TIME ZONE 'UTC')
       AND "created_at" < (${(until ?? new Date()).toISOString()}::timestamptz AT TIME ZONE 'UTC')
       AND NOT EXISTS (SELECT 1 FROM "events" AS e WHERE e."id" = "deliveries"."event_id" AND e."data_purged_at" IS NOT NULL)
     RETURNING "id", "attempt_count", ("line_seq" IS NOT NULL AND ${webhook.ordered}) AS "in_line"`;
  // An ordered webhook's recovered deliveries take their old places in its line.
  if (recovered.length)
    await wakeFor(
      deps,
      webhook,
      recovered.some((r) => r.in_line),
    );
  for (const { id } of recovered) deps.broadcaster.publish('deliveryUpdated', { deliveryId: id, webhookId: webhook.id, projectId: webhook.projectId });
  return recovered.length;
}
