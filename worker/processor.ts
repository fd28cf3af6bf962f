import type { Job } from 'bullmq';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Broadcaster } from '../src/broadcaster.ts';
import type { Config } from '../src/config.ts';
import type { SecretBox } from '../src/crypto/secretBox.ts';
import type { Db } from '../src/db/client.ts';
import { buildSignedHeaders, serializeEnvelope } from '../src/delivery/request.ts';
import type { Prisma } from '../src/generated/prisma/client.ts';
import { newId } from '../src/ids.ts';
import type { DeliveryJobData } from '../src/queue/deliveryQueue.ts';
import { sendWebhook } from './httpSender.ts';
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

const isSuccess = (status: number | null, error: string | null) => !error && status !== null && status >= 200 && status < 300;

/** One BullMQ job = one HTTP attempt of one delivery, logged as a DeliveryAttempt. */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  const { db, config, broadcaster } = deps;
  const now = deps.now ?? (() => new Date());
  const secretOf = createSecretCache(deps.secretBox);

  return async function processDelivery(job: Job<DeliveryJobData>): Promise<void> {
    const delivery = await db.delivery.findUnique({
      where: { id: job.data.deliveryId },
      include: { event: true, webhook: true },
    });
    // Deleted with its webhook, or already settled by an earlier run of this job: nothing to do.
    if (!delivery || delivery.status === 'SUCCEEDED' || delivery.status === 'FAILED') return;
    const { event, webhook } = delivery;

    const envelope = { id: event.id, type: event.type, timestamp: event.timestamp, projectId: event.projectId, data: event.data };
    const body = serializeEnvelope(envelope);
    const headers = buildSignedHeaders({
      settings: config.delivery,
      event: envelope,
      deliveryId: delivery.id,
      body,
      secrets: [secretOf(webhook.secretCiphertext, webhook.secretKeyId)],
      customHeaders: webhook.headers as Record<string, string>,
      timestampSeconds: Math.floor(now().getTime() / 1000),
    });

    const result = await sendWebhook({ url: webhook.url, headers, body, timeoutMs: webhook.timeoutSeconds * 1000 }, deps.dispatcher);
    const succeeded = isSuccess(result.status, result.error);
    const attemptNumber = delivery.attemptCount + 1;
    const attemptId = newId('DeliveryAttempt');

    // The attempt and the delivery's new state land together or not at all; the unique
    // (delivery, attempt number) pair stops a second run of a stalled job from logging the try twice.
    await db.$transaction([
      db.deliveryAttempt.create({
        data: {
          id: attemptId,
          deliveryId: delivery.id,
          attemptNumber,
          url: webhook.url,
          requestHeaders: headers,
          responseStatus: result.status,
          responseHeaders: (result.headers ?? undefined) as Prisma.InputJsonObject | undefined,
          responseBody: result.body,
          durationMs: result.durationMs,
          error: result.error,
          succeeded,
        },
      }),
      db.delivery.update({
        where: { id: delivery.id },
        data: { attemptCount: attemptNumber, status: succeeded ? 'SUCCEEDED' : 'FAILED', nextAttemptAt: null },
      }),
    ]);

    const ids = { deliveryId: delivery.id, webhookId: webhook.id, projectId: delivery.projectId };
    broadcaster.publish('deliveryAttemptCreated', { attemptId, ...ids });
    broadcaster.publish('deliveryUpdated', ids);
  };
}
