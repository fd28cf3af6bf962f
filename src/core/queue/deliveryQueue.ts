import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const DELIVERY_QUEUE_NAME = 'deliveries';

export interface DeliveryJobData {
  deliveryId: string;
}

/** Jobs by state: waiting to run, delayed until their retry time, running now. */
export interface QueueDepth {
  waiting: number;
  delayed: number;
  active: number;
}

/** The delivery queue as the rest of Hookpost sees it: nothing reaches through to BullMQ itself. */
export interface DeliveryQueue {
  /** Adds one job per delivery, job id = delivery id, so adding one that is already queued is a no-op. */
  enqueue(deliveries: { id: string; delayMs?: number }[]): Promise<void>;
  /** Runs a delivery's job now: a delayed one is promoted, a missing one is added. */
  bringForward(deliveryId: string): Promise<void>;
  /** How many worker processes are listening (for start-up checks and benchmarks). */
  workerCount(): Promise<number>;
  /** How many jobs wait, are delayed and run (for metrics). */
  depth(): Promise<QueueDepth>;
  /** The ids among `deliveryIds` that have no job at all (for the reconciler's count of lost jobs). */
  withoutJob(deliveryIds: string[]): Promise<string[]>;
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
    async depth() {
      const c = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0 };
    },
    async withoutJob(deliveryIds) {
      if (deliveryIds.length === 0) return [];
      // A job is a hash under its id (job id = delivery id); one EXISTS per id, in one round trip.
      const pipeline = connection.pipeline();
      for (const id of deliveryIds) pipeline.exists(queue.toKey(id));
      const results = (await pipeline.exec()) ?? [];
      return deliveryIds.filter((_, i) => results[i]?.[1] === 0);
    },
    obliterate: () => queue.obliterate({ force: true }),
    close: () => queue.close(),
  };
}
