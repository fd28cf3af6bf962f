import type { Logger } from 'pino';
import type { Broadcaster } from '../../src/core/broadcaster.ts';
import type { Db } from '../../src/core/db/client.ts';
import type { CircuitView } from '../../src/core/delivery/circuit.ts';
import type { Outcome } from '../../src/core/delivery/outcome.ts';
import type { AttemptJob } from '../../src/core/queue/deliveryQueue.ts';
import { disableWebhook } from '../../src/core/webhookStatus.ts';
import type { CircuitBreaker } from '../circuitBreaker.ts';
import type { DueDelivery } from './claim.ts';

export interface SettleDeps {
  db: Db;
  broadcaster: Broadcaster;
  logger: Logger;
  disableAfterFailures: number;
  /** Schedules the delivery's next attempt (batched by the caller). */
  scheduleAttempt(job: AttemptJob): Promise<void>;
  /** Moves the endpoint's circuit after each attempt; without it there is no circuit breaker. */
  circuit?: Pick<CircuitBreaker, 'afterAttempt' | 'streakMayDisable'>;
}

/**
 * Why the webhook should be switched off after this attempt, if it should; `streakCounts`: false
 * while the circuit breaker holds the endpoint (see streakMayDisable).
 */
export function disableReasonFor(outcome: Outcome, failureStreak: number, disableAfterFailures: number, streakCounts = true): string | undefined {
  if (outcome.status === 'FAILED' && outcome.disableWebhook) return outcome.disableWebhook;
  if (outcome.status !== 'SUCCEEDED' && streakCounts && failureStreak >= disableAfterFailures) {
    return `Disabled after ${failureStreak} consecutive failed attempts`;
  }
  return undefined;
}

/**
 * After the attempt is recorded: tell live subscribers, disable the webhook when its streak says so,
 * and schedule the next attempt of a delivery that is RETRYING. A FAILED one is dead-lettered: it
 * stays in Postgres with its attempts and gets no job.
 */
export async function settle(
  deps: SettleDeps,
  delivery: DueDelivery,
  outcome: Outcome,
  recorded: { attemptId: string; failureStreak: number; circuit?: CircuitView | null },
): Promise<void> {
  const ids = { deliveryId: delivery.id, webhookId: delivery.webhook.id, projectId: delivery.projectId };
  deps.broadcaster.publish('deliveryAttemptCreated', { attemptId: recorded.attemptId, ...ids });
  deps.broadcaster.publish('deliveryUpdated', ids);
  // An ordered line sends one delivery at a time and waits out its head's retries: the breaker
  // leaves it alone (its claim does not look at the circuit either).
  const circuit = delivery.line ? undefined : deps.circuit;
  if (circuit) {
    const attempt = { deliveryId: delivery.id, webhookId: delivery.webhook.id, succeeded: outcome.status === 'SUCCEEDED' };
    // The circuit is a guard, not the record: if Postgres is away now, the next attempt moves it.
    await circuit
      .afterAttempt(attempt, { failureStreak: recorded.failureStreak, circuit: recorded.circuit ?? null })
      .catch((err) => deps.logger.warn({ err, webhookId: delivery.webhook.id }, 'could not move the circuit'));
  }
  if (outcome.status === 'SUCCEEDED') return;
  const streakCounts =
    circuit?.streakMayDisable({ deliveryId: delivery.id, failureStreak: recorded.failureStreak }, recorded.circuit ?? null, deps.disableAfterFailures) ?? true;
  const reason = disableReasonFor(outcome, recorded.failureStreak, deps.disableAfterFailures, streakCounts);
  if (reason && (await disableWebhook(deps, delivery.webhook, reason))) {
    deps.logger.warn({ webhookId: delivery.webhook.id, reason }, 'webhook disabled');
  }
  if (outcome.status === 'RETRYING') {
    const job = { deliveryId: delivery.id, webhookId: delivery.webhook.id, attemptCount: delivery.attemptCount + 1, delayMs: outcome.delayMs };
    // Redis away: the delivery is RETRYING in Postgres and the reconciler gives it its job back.
    await deps.scheduleAttempt(job).catch((err) => deps.logger.warn({ err, deliveryId: delivery.id }, 'could not schedule the retry; the reconciler will'));
  }
}
