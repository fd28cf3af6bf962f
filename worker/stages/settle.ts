import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { Broadcaster } from '../../src/core/broadcaster.ts';
import type { Db } from '../../src/core/db/client.ts';
import type { Outcome } from '../../src/core/delivery/outcome.ts';
import { disableWebhook } from '../../src/core/webhookStatus.ts';
import { RetryScheduled } from '../retryScheduled.ts';
import type { DueDelivery } from './load.ts';

export interface SettleDeps {
  db: Db;
  broadcaster: Broadcaster;
  logger: Logger;
  disableAfterFailures: number;
}

/** Why the webhook should be switched off after this attempt, if it should. */
export function disableReasonFor(outcome: Outcome, failureStreak: number, disableAfterFailures: number): string | undefined {
  if (outcome.status === 'FAILED' && outcome.disableWebhook) return outcome.disableWebhook;
  if (outcome.status !== 'SUCCEEDED' && failureStreak >= disableAfterFailures) {
    return `Disabled after ${failureStreak} consecutive failed attempts`;
  }
  return undefined;
}

/**
 * After the attempt is recorded: tell live subscribers, disable the webhook when its streak says so,
 * and hand the job back to BullMQ — completed, retried after the outcome's delay, or dead-lettered.
 */
export async function settle(
  deps: SettleDeps,
  delivery: DueDelivery,
  outcome: Outcome,
  recorded: { attemptId: string; failureStreak: number },
): Promise<void> {
  const ids = { deliveryId: delivery.id, webhookId: delivery.webhook.id, projectId: delivery.projectId };
  deps.broadcaster.publish('deliveryAttemptCreated', { attemptId: recorded.attemptId, ...ids });
  deps.broadcaster.publish('deliveryUpdated', ids);
  if (outcome.status === 'SUCCEEDED') return;
  const reason = disableReasonFor(outcome, recorded.failureStreak, deps.disableAfterFailures);
  if (reason && (await disableWebhook(deps, delivery.webhook, reason))) {
    deps.logger.warn({ webhookId: delivery.webhook.id, reason }, 'webhook disabled');
  }
  if (outcome.status === 'RETRYING') throw new RetryScheduled(outcome.delayMs, `attempt ${delivery.attemptCount + 1} failed`);
  throw new UnrecoverableError(`dead-lettered: ${outcome.reason}`);
}
