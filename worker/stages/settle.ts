import type { Logger } from 'pino';
import type { Broadcaster } from '../../src/core/broadcaster.ts';
import type { Db } from '../../src/core/db/client.ts';
import type { CircuitView } from '../../src/core/delivery/circuit.ts';
import type { Outcome } from '../../src/core/delivery/outcome.ts';
import { disableWebhook } from '../../src/core/webhookStatus.ts';
import type { CircuitBreaker, CircuitVerdict } from '../circuitBreaker.ts';
import type { DueDelivery } from './claim.ts';

export interface SettleDeps {
  db: Db;
  broadcaster: Broadcaster;
  logger: Logger;
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
 * After the attempt is recorded: tell live subscribers, move the endpoint's circuit, and disable the
 * webhook when its streak says so. The next attempt of a RETRYING delivery needs nothing here: its
 * time is in Postgres, which is the schedule. Returns what the circuit now says of the endpoint.
 */
export async function settle(
  deps: SettleDeps,
  delivery: DueDelivery,
  outcome: Outcome,
  recorded: { attemptId: string; failureStreak: number; circuit?: CircuitView | null; disableAfterFailures: number },
): Promise<CircuitVerdict> {
  const ids = { deliveryId: delivery.id, webhookId: delivery.webhook.id, projectId: delivery.projectId };
  deps.broadcaster.publish('deliveryAttemptCreated', { attemptId: recorded.attemptId, ...ids });
  deps.broadcaster.publish('deliveryUpdated', ids);
  // An ordered line sends one delivery at a time and waits out its head's retries: the breaker
  // leaves it alone (its claim does not look at the circuit either).
  const circuit = delivery.line ? undefined : deps.circuit;
  let verdict: CircuitVerdict = null;
  if (circuit) {
    const attempt = { deliveryId: delivery.id, webhookId: delivery.webhook.id, succeeded: outcome.status === 'SUCCEEDED' };
    // The circuit is a guard, not the record: if Postgres is away now, the next attempt moves it.
    verdict = await circuit.afterAttempt(attempt, { failureStreak: recorded.failureStreak, circuit: recorded.circuit ?? null }).catch((err) => {
      deps.logger.warn({ err, webhookId: delivery.webhook.id }, 'could not move the circuit');
      return null;
    });
  }
  if (outcome.status === 'SUCCEEDED') return verdict;
  const streakCounts =
    circuit?.streakMayDisable({ deliveryId: delivery.id, failureStreak: recorded.failureStreak }, recorded.circuit ?? null, recorded.disableAfterFailures) ??
    true;
  const reason = disableReasonFor(outcome, recorded.failureStreak, recorded.disableAfterFailures, streakCounts);
  if (reason && (await disableWebhook(deps, delivery.webhook, reason))) {
    deps.logger.warn({ webhookId: delivery.webhook.id, reason }, 'webhook disabled');
  }
  return verdict;
}
