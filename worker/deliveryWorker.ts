import { Worker } from 'bullmq';
import type { CoreDeps } from '../src/core/deps.ts';
import { createRedis } from '../src/core/redis.ts';
import { DELIVERY_QUEUE_NAME, type DeliveryJobData } from '../src/core/queue/deliveryQueue.ts';
import { createGuardedAgent, type Resolver } from './guardedDispatcher.ts';
import { createDeliveryProcessor, RetryScheduled } from './processor.ts';
import { startReconciler } from './reconciler.ts';
import { startRetention } from './retention.ts';

export interface DeliveryWorker {
  worker: Worker<DeliveryJobData>;
  /** Stops taking jobs, lets in-flight deliveries finish, then closes connections. */
  close(): Promise<void>;
}

export function createDeliveryWorker(deps: CoreDeps, opts: { resolver?: Resolver } = {}): DeliveryWorker {
  const dispatcher = createGuardedAgent({ allowedNetworks: deps.config.security.allowedNetworks, resolver: opts.resolver });
  const processor = createDeliveryProcessor({ ...deps, dispatcher, onAttempt: deps.metrics.observeAttempt });
  const connection = createRedis(deps.config.redisUrl, deps.logger);
  const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE_NAME, processor, {
    connection,
    prefix: deps.config.redisPrefix,
    concurrency: deps.config.delivery.concurrency,
    lockDuration: deps.config.delivery.jobLockMs,
    stalledInterval: deps.config.delivery.jobLockMs,
    // A killed worker's job comes back this many times before BullMQ gives up on it; the
    // reconciler re-enqueues from Postgres even then.
    maxStalledCount: 5,
    settings: {
      // Our own retries carry their delay. Anything else (Postgres unreachable, say) is our failure,
      // not the receiver's: back off from 1 s to a minute without spending the delivery's attempts.
      backoffStrategy: (attemptsMade, _type, err) =>
        err instanceof RetryScheduled ? err.delayMs : Math.min(60_000, 1000 * 2 ** Math.min(attemptsMade, 6)),
    },
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'delivery worker error'));
  worker.on('failed', (job, err) =>
    deps.logger.debug({ jobId: job?.id, err: err.message }, 'delivery attempt failed'),
  );
  const reconciler = startReconciler(deps, deps.config.delivery.reconcileIntervalMs);
  const retention = startRetention(deps, deps.config.operations);
  deps.logger.info({ concurrency: deps.config.delivery.concurrency }, 'delivery worker started');
  return {
    worker,
    async close() {
      await Promise.all([reconciler.stop(), retention.stop()]);
      await worker.close();
      await dispatcher.close();
      await connection.quit().catch(() => {});
    },
  };
}
