import type { Logger } from 'pino';
import type { Broadcaster } from './broadcaster.ts';
import type { CircuitSnapshot } from './delivery/circuit.ts';
import type { Db } from './db/client.ts';
import type { WakeupQueue } from './queue/wakeups.ts';

/**
 * Tells `webhookStatusChanged` subscribers, on every API replica, that a webhook was switched or its
 * circuit moved; the circuit travels with the message, so a quick OPEN → HALF_OPEN → CLOSED is seen
 * step by step even when the row has moved on by the time a subscriber loads it.
 */
export function announceStatus(broadcaster: Broadcaster, webhook: { id: string; projectId: string }, active: boolean, circuit?: CircuitSnapshot): void {
  broadcaster.publish('webhookStatusChanged', { webhookId: webhook.id, projectId: webhook.projectId, active, ...(circuit ? { circuit } : {}) });
}

/**
 * Disables a webhook unless it already is. Its open deliveries stay as they are: the worker holds
 * them (no attempt, no retry spent) until the webhook is enabled again.
 */
export async function disableWebhook(deps: { db: Db; broadcaster: Broadcaster }, webhook: { id: string; projectId: string }, reason: string): Promise<boolean> {
  const { count } = await deps.db.webhook.updateMany({
    where: { id: webhook.id, active: true },
    data: { active: false, disabledReason: reason, disabledAt: new Date() },
  });
  if (count) announceStatus(deps.broadcaster, webhook, false);
  return count > 0;
}

/**
 * After a webhook is switched back on (or its ordering changed): tell subscribers, and wake the
 * workers for the deliveries it held, which are due in Postgres. A wake-up Redis does not take is
 * the sweep's to find.
 */
export async function resumeWebhook(
  deps: { broadcaster: Broadcaster; queue: WakeupQueue; logger: Logger },
  webhook: { id: string; projectId: string; ordered: boolean },
  announce = true,
): Promise<void> {
  if (announce) announceStatus(deps.broadcaster, webhook, true);
  const wakeup = webhook.ordered ? { webhookIds: [webhook.id], lines: [webhook.id] } : { webhookIds: [webhook.id], lines: [] };
  await deps.queue
    .wake(wakeup)
    .catch((err) => deps.logger.warn({ err, webhookId: webhook.id }, 'could not wake the workers; their sweep finds the deliveries'));
}
