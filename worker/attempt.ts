import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Config } from '../src/core/config.ts';
import type { AttemptObserver } from '../src/core/metrics.ts';
import { decideOutcome, type Outcome } from '../src/core/delivery/outcome.ts';
import { defaultProjectSettings, type ProjectSettings, resolveProjectSettings } from '../src/core/delivery/projectSettings.ts';
import type { SendResult } from '../src/core/delivery/sendResult.ts';
import { newId } from '../src/core/ids.ts';
import type { CircuitVerdict } from './circuitBreaker.ts';
import { type OutboundRequest, sendWebhook } from './httpSender.ts';
import type { Recorder } from './recorder.ts';
import { buildRequest, type HeadersOpener, loggedHeaders, type SecretOpener } from './stages/build.ts';
import type { DueDelivery } from './stages/claim.ts';
import { type SettleDeps, settle } from './stages/settle.ts';

export interface AttemptDeps {
  config: Config;
  http: HttpDispatcher;
  recorder: Recorder;
  openSecret: SecretOpener;
  openHeaders: HeadersOpener;
  settleDeps: SettleDeps;
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: AttemptObserver;
  now?: () => Date;
}

/** One HTTP attempt as it went out and came back. */
export interface Sent {
  request: OutboundRequest;
  result: SendResult;
  at: Date;
  /** The project's settings the request was built with; its outcome is judged by the same. */
  settings: ProjectSettings;
}

/** What an attempt left behind for the worker's own bookkeeping. */
export interface Settled {
  outcome: Outcome;
  /** When a RETRYING delivery is due again (epoch ms). */
  retryAtMs?: number;
  circuit: CircuitVerdict;
}

/**
 * One attempt of one claimed delivery, in typed stages: build the signed request, send it, decide
 * the outcome, record it (batched with other attempts), settle what follows from it. `send` never
 * throws: every failure is a result the outcome rules read.
 */
export function createAttempts(deps: AttemptDeps) {
  const now = deps.now ?? (() => new Date());
  const defaults = defaultProjectSettings(deps.config.delivery);

  async function send(delivery: DueDelivery): Promise<Sent> {
    const settings = resolveProjectSettings(delivery.project, defaults);
    const request = buildRequest(delivery, settings, deps.openSecret, now(), deps.openHeaders);
    const result = await sendWebhook(request, deps.http);
    return { request, result, at: now(), settings };
  }

  /**
   * Records the attempt and settles it. `urgent`: written without waiting for company, because
   * something waits on it (an ordered line's next delivery, a failure's hold on its endpoint).
   * Returns null when the attempt was logged already by another run of the same delivery.
   */
  async function record(delivery: DueDelivery, sent: Sent, urgent: boolean): Promise<Settled | null> {
    const { request, result, at, settings } = sent;
    const outcome = decideOutcome({
      result,
      attemptInSchedule: delivery.attemptCount + 1 - delivery.scheduleOffset,
      policy: delivery.webhook.retryPolicy ?? settings.retryPolicy,
      sinceEventMs: at.getTime() - delivery.event.timestamp.getTime(),
      now: at,
    });
    deps.onAttempt?.(outcome.status, result.durationMs, result.failure?.kind ?? null);
    const attemptId = newId('DeliveryAttempt');
    const recorded = await deps.recorder.record(
      {
        attemptId,
        deliveryId: delivery.id,
        webhookId: delivery.webhook.id,
        projectId: delivery.projectId,
        attemptNumber: delivery.attemptCount + 1,
        url: request.url,
        // Sensitive values go to the receiver only; the log keeps their hints.
        requestHeaders: loggedHeaders(delivery.webhook, request.headers),
        result,
        outcome,
        at,
      },
      { now: urgent || outcome.status !== 'SUCCEEDED' },
    );
    if ('duplicate' in recorded) return null;
    const circuit = await settle(deps.settleDeps, delivery, outcome, {
      attemptId,
      failureStreak: recorded.failureStreak,
      circuit: recorded.circuit,
      disableAfterFailures: settings.disableAfterFailures,
    });
    return { outcome, circuit, retryAtMs: outcome.status === 'RETRYING' ? at.getTime() + outcome.delayMs : undefined };
  }

  return { send, record };
}

export type Attempts = ReturnType<typeof createAttempts>;
