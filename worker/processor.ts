import { DelayedError, type Job } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Broadcaster } from '../src/core/broadcaster.ts';
import type { Config } from '../src/core/config.ts';
import type { SecretBox } from '../src/core/crypto/secretBox.ts';
import type { Db } from '../src/core/db/client.ts';
import type { AttemptObserver } from '../src/core/metrics.ts';
import { decideOutcome, type Outcome } from '../src/core/delivery/outcome.ts';
import type { SendResult } from '../src/core/delivery/sendResult.ts';
import { scheduleOf } from '../src/core/delivery/retryPolicy.ts';
import type { DeliveryJobData } from '../src/core/queue/deliveryQueue.ts';
import { sendWebhook } from './httpSender.ts';
import { createSecretCache } from './secretCache.ts';
import { buildRequest } from './stages/build.ts';
import { type DueDelivery, loadDelivery } from './stages/load.ts';
import { recordAttempt } from './stages/record.ts';
import { settle } from './stages/settle.ts';

export { RetryScheduled } from './retryScheduled.ts';

export interface ProcessorDeps {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  broadcaster: Broadcaster;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => Date;
  onAttempt?: AttemptObserver;
}

/**
 * One BullMQ job run = at most one HTTP attempt of one delivery, logged as a DeliveryAttempt:
 * load → build the signed request → send → decide → record → settle.
 */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  const { db, config } = deps;
  const now = deps.now ?? (() => new Date());
  const openSecret = createSecretCache(deps.secretBox);
  const settleDeps = { ...deps, disableAfterFailures: config.delivery.disableAfterFailures };

  const decide = (delivery: DueDelivery, result: SendResult): Outcome =>
    decideOutcome({
      result,
      attemptInSchedule: delivery.attemptCount + 1 - delivery.scheduleOffset,
      schedule: scheduleOf(delivery.webhook.retryPolicy, config.delivery.retrySchedule),
      now: now(),
    });

  return async function processDelivery(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    const loaded = await loadDelivery(db, job.data.deliveryId, now());
    if (loaded.kind === 'skip') return;
    if (loaded.kind === 'early') {
      if (!token) return;
      await job.moveToDelayed(loaded.dueAt, token);
      throw new DelayedError();
    }
    const { delivery } = loaded;
    const request = buildRequest(delivery, config.delivery, openSecret, now());
    const result = await sendWebhook(request, deps.dispatcher);
    const outcome = decide(delivery, result);
    deps.onAttempt?.(outcome.status, result.durationMs, result.failure?.kind ?? null);
    const recorded = await recordAttempt(db, {
      deliveryId: delivery.id,
      webhookId: delivery.webhook.id,
      url: request.url,
      attemptNumber: delivery.attemptCount + 1,
      requestHeaders: request.headers,
      result,
      outcome,
      now: now(),
    });
    if ('duplicate' in recorded) return;
    await settle(settleDeps, delivery, outcome, recorded);
  };
}
