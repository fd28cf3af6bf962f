import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const DELIVERY_QUEUE_NAME = 'deliveries';

export interface DeliveryJobData {
  deliveryId: string;
}

export interface DeliveryQueue {
  /** Adds one job per delivery, job id = delivery id, so adding one that is already queued is a no-op. */
  enqueue(deliveries: { id: string; delayMs?: number }[]): Promise<void>;
  queue: Queue<DeliveryJobData>;
  close(): Promise<void>;
}

export function createDeliveryQueue(connection: Redis, prefix: string, onError: (err: Error) => void): DeliveryQueue {
  const queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      // Postgres holds the history; finished jobs only need to free their id for a later resend.
      removeOnComplete: true,
      removeOnFail: true,
      // The retry schedule lives in Postgres (see worker/outcome.ts); this is only a ceiling above it.
      attempts: 100,
      backoff: { type: 'hookpost-schedule' },
    },
  });
  queue.on('error', onError);
  return {
    queue,
    async enqueue(deliveries) {
      if (deliveries.length === 0) return;
      await queue.addBulk(
        deliveries.map((d) => ({
          name: 'deliver',
          data: { deliveryId: d.id },
          opts: { jobId: d.id, delay: d.delayMs && d.delayMs > 0 ? d.delayMs : undefined },
        })),
      );
    },
    close: () => queue.close(),
  };
}
