import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const DELIVERY_QUEUE_NAME = 'deliveries';

export interface DeliveryJobData {
  deliveryId: string;
}

/** The delivery queue as the rest of Hookpost sees it: nothing reaches through to BullMQ itself. */
export interface DeliveryQueue {
  /** Adds one job per delivery, job id = delivery id, so adding one that is already queued is a no-op. */
  enqueue(deliveries: { id: string; delayMs?: number }[]): Promise<void>;
  /** Runs a delivery's job now: a delayed one is promoted, a missing one is added. */
  bringForward(deliveryId: string): Promise<void>;
  /** How many worker processes are listening (for start-up checks and benchmarks). */
  workerCount(): Promise<number>;
  /** Removes every job of this deployment's queue (tests and benchmarks clean up with it). */
  obliterate(): Promise<void>;
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
      // The retry schedule lives in Postgres (see src/core/delivery/outcome.ts); this is only a ceiling above it.
      attempts: 100,
      backoff: { type: 'hookpost-schedule' },
    },
  });
  queue.on('error', onError);
  const enqueue: DeliveryQueue['enqueue'] = async (deliveries) => {
    if (deliveries.length === 0) return;
    await queue.addBulk(
      deliveries.map((d) => ({
        name: 'deliver',
        data: { deliveryId: d.id },
        opts: { jobId: d.id, delay: d.delayMs && d.delayMs > 0 ? d.delayMs : undefined },
      })),
    );
  };
  return {
    enqueue,
    async bringForward(deliveryId) {
      const job = await queue.getJob(deliveryId);
      if (job && (await job.isDelayed())) await job.promote();
      else await enqueue([{ id: deliveryId }]);
    },
    workerCount: async () => (await queue.getWorkers()).length,
    obliterate: () => queue.obliterate({ force: true }),
    close: () => queue.close(),
  };
}
