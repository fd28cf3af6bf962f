import { Worker } from 'bullmq';
import { Agent } from 'undici';
import type { AppDeps } from '../src/deps.ts';
import { createRedis } from '../src/deps.ts';
import { DELIVERY_QUEUE_NAME, type DeliveryJobData } from '../src/queue/deliveryQueue.ts';
import { createDeliveryProcessor } from './processor.ts';

export interface DeliveryWorker {
  worker: Worker<DeliveryJobData>;
  /** Stops taking jobs, lets in-flight deliveries finish, then closes connections. */
  close(): Promise<void>;
}

export function createDeliveryWorker(deps: AppDeps): DeliveryWorker {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  const processor = createDeliveryProcessor({ ...deps, dispatcher });
  const connection = createRedis(deps.config.redisUrl);
  const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE_NAME, processor, {
    connection,
    prefix: deps.config.redisPrefix,
    concurrency: deps.config.delivery.concurrency,
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'delivery worker error'));
  worker.on('failed', (job, err) =>
    deps.logger.debug({ jobId: job?.id, err: err.message }, 'delivery attempt failed'),
  );
  return {
    worker,
    async close() {
      await worker.close();
      await dispatcher.close();
      await connection.quit().catch(() => {});
    },
  };
}
