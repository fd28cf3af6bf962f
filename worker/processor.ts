import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Broadcaster } from '../src/broadcaster.ts';
import type { Config } from '../src/config.ts';
import type { SecretBox } from '../src/crypto/secretBox.ts';
import type { Db } from '../src/db/client.ts';
import { buildSignedHeaders, serializeEnvelope } from '../src/delivery/request.ts';
import { type RetryPolicy, scheduleOf } from '../src/delivery/retryPolicy.ts';
import type { Prisma } from '../src/generated/prisma/client.ts';
import { newId } from '../src/ids.ts';
import type { DeliveryJobData } from '../src/queue/deliveryQueue.ts';
import { disableWebhook } from '../src/services/webhookStatus.ts';
import { type SendResult, sendWebhook } from './httpSender.ts';
import { decideOutcome, type Outcome } from './outcome.ts';
import { createSecretCache } from './secretCache.ts';

export interface ProcessorDeps {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  broadcaster: Broadcaster;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => Date;
}

/** Thrown to have BullMQ retry the job after `delayMs` (read by the worker's backoff strategy). */
export class RetryScheduled extends Error {
  constructor(readonly delayMs: number, reason: string) {
    super(`retry in ${delayMs} ms: ${reason}`);
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'P2002';

/** One BullMQ job run = at most one HTTP attempt of one delivery, logged as a DeliveryAttempt. */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  const { db, config, broadcaster, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const secretOf = createSecretCache(deps.secretBox);

  /** The current secret, and during a rotation's grace period the previous one too. */
  function signingSecrets(w: {
    secretCiphertext: string;
    secretKeyId: string;
    previousSecretCiphertext: string | null;
    previousSecretKeyId: string | null;
    previousSecretExpiresAt: Date | null;
  }): string[] {
    const secrets = [secretOf(w.secretCiphertext, w.secretKeyId)];
    if (w.previousSecretCiphertext && w.previousSecretKeyId && w.previousSecretExpiresAt && w.previousSecretExpiresAt > now()) {
      secrets.push(secretOf(w.previousSecretCiphertext, w.previousSecretKeyId));
    }
    return secrets;
  }

  return async function processDelivery(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    const delivery = await db.delivery.findUnique({
      where: { id: job.data.deliveryId },
      include: { event: true, webhook: true },
    });
    // Deleted with its webhook, or settled by an earlier run of this job: nothing to do.
    if (!delivery || delivery.status === 'SUCCEEDED' || delivery.status === 'FAILED') return;
    const { event, webhook } = delivery;
    // Held while the webhook is disabled; re-enabling it enqueues the delivery again.
    if (!webhook.active) return;
    // A job re-run early (after a crash, or re-added without its delay) waits for its slot.
    const dueAt = delivery.nextAttemptAt?.getTime() ?? 0;
    if (delivery.status === 'RETRYING' && dueAt > now().getTime() + 1000 && token) {
      await job.moveToDelayed(dueAt, token);
      throw new DelayedError();
    }

    const envelope = { id: event.id, type: event.type, timestamp: event.timestamp, projectId: event.projectId, data: event.data };
    const body = serializeEnvelope(envelope, config.delivery.envelope);
    const headers = buildSignedHeaders({
      settings: config.delivery,
      event: envelope,
      deliveryId: delivery.id,
      body,
      secrets: signingSecrets(webhook),
      customHeaders: webhook.headers as Record<string, string>,
      timestampSeconds: Math.floor(now().getTime() / 1000),
    });
    const result = await sendWebhook({ url: webhook.url, headers, body, timeoutMs: webhook.timeoutSeconds * 1000 }, deps.dispatcher);

    const attemptNumber = delivery.attemptCount + 1;
    const outcome = decideOutcome({
      result,
      attemptInSchedule: attemptNumber - delivery.scheduleOffset,
      schedule: scheduleOf(webhook.retryPolicy as RetryPolicy | null, config.delivery.retrySchedule),
      now: now(),
    });
    const attemptId = newId('DeliveryAttempt');
    let failures: number;
    try {
      failures = await record({ deliveryId: delivery.id, webhookId: webhook.id, url: webhook.url, attemptId, attemptNumber, headers, result, outcome });
    } catch (err) {
      // Another run of this job (a stalled one brought back) logged this attempt number first.
      if (isUniqueViolation(err)) return;
      throw err;
    }

    const ids = { deliveryId: delivery.id, webhookId: webhook.id, projectId: delivery.projectId };
    broadcaster.publish('deliveryAttemptCreated', { attemptId, ...ids });
    broadcaster.publish('deliveryUpdated', ids);

    if (outcome.status === 'SUCCEEDED') return;
    const disableReason = disableReasonFor(outcome, failures);
    if (disableReason && (await disableWebhook(deps, webhook, disableReason))) {
      logger.warn({ webhookId: webhook.id, reason: disableReason }, 'webhook disabled');
    }
    if (outcome.status === 'RETRYING') throw new RetryScheduled(outcome.delayMs, result.error ?? `HTTP ${result.status}`);
    throw new UnrecoverableError(`dead-lettered: ${outcome.reason}`);
  };

  function disableReasonFor(outcome: Outcome, failures: number): string | undefined {
    if (outcome.status === 'FAILED' && outcome.disableWebhook) return outcome.disableWebhook;
    if (failures >= config.delivery.disableAfterFailures) return `Disabled after ${failures} consecutive failed attempts`;
    return undefined;
  }

  interface AttemptRecord {
    deliveryId: string;
    webhookId: string;
    url: string;
    attemptId: string;
    attemptNumber: number;
    headers: Record<string, string>;
    result: SendResult;
    outcome: Outcome;
  }

  /**
   * The attempt, the delivery's new state and the webhook's failure streak land together or not at
   * all. Returns the streak after this attempt (0 on success).
   */
  async function record(r: AttemptRecord): Promise<number> {
    const succeeded = r.outcome.status === 'SUCCEEDED';
    const nextAttemptAt = r.outcome.status === 'RETRYING' ? new Date(now().getTime() + r.outcome.delayMs) : null;
    const writes = [
      db.deliveryAttempt.create({
        data: {
          id: r.attemptId,
          deliveryId: r.deliveryId,
          attemptNumber: r.attemptNumber,
          url: r.url,
          requestHeaders: r.headers,
          responseStatus: r.result.status,
          responseHeaders: (r.result.headers ?? undefined) as Prisma.InputJsonObject | undefined,
          responseBody: r.result.body,
          durationMs: r.result.durationMs,
          error: r.result.error,
          succeeded,
        },
      }),
      db.delivery.update({
        where: { id: r.deliveryId },
        data: { attemptCount: r.attemptNumber, status: r.outcome.status, nextAttemptAt },
      }),
    ] as const;
    if (succeeded) {
      // Only touch the webhook row when there is a streak to reset: it is hot under load.
      await db.$transaction([
        ...writes,
        db.webhook.updateMany({ where: { id: r.webhookId, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0 } }),
      ]);
      return 0;
    }
    const [, , webhook] = await db.$transaction([
      ...writes,
      db.webhook.update({ where: { id: r.webhookId }, data: { consecutiveFailures: { increment: 1 } }, select: { consecutiveFailures: true } }),
    ]);
    return webhook.consecutiveFailures;
  }
}
