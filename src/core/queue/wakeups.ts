import { Queue } from 'bullmq';
import type { RedisClient } from '../redis.ts';

export const WAKEUP_QUEUE_NAME = 'wakeups';

/**
 * Endpoints that may have deliveries due now. Postgres holds the schedule; a wake-up only saves a
 * worker the wait for its next look (worker/sweep.ts), so losing one delays, never loses, a delivery.
 */
export interface Wakeup {
  /** Unordered endpoints: their due deliveries are claimed up to each one's concurrency. */
  webhookIds: string[];
  /** Ordered endpoints: the head of each line is claimed. */
  lines: string[];
}

/** The wake-up queue as the rest of Hookpost sees it: nothing reaches through to BullMQ itself. */
export interface WakeupQueue {
  /** Tells a worker (BullMQ hands each wake-up to one) that these endpoints have work. */
  wake(wakeup: Wakeup): Promise<void>;
  /** Wake-ups waiting for a worker (for metrics: a growing number means no worker is taking them). */
  waiting(): Promise<number>;
  /** Removes every job of this deployment's queue (tests and benchmarks clean up with it). */
  obliterate(): Promise<void>;
  close(): Promise<void>;
}

export function createWakeupQueue(connection: RedisClient, prefix: string, onError: (err: Error) => void): WakeupQueue {
  const queue = new Queue<Wakeup>(WAKEUP_QUEUE_NAME, {
    connection,
    prefix,
    // A wake-up is worth nothing once a worker has looked: nothing of it is kept.
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  queue.on('error', onError);
  return {
    async wake(wakeup) {
      if (wakeup.webhookIds.length || wakeup.lines.length) await queue.add('wake', wakeup);
    },
    async waiting() {
      const c = await queue.getJobCounts('wait', 'prioritized');
      return (c.wait ?? 0) + (c.prioritized ?? 0);
    },
    obliterate: () => queue.obliterate({ force: true }),
    close: () => queue.close(),
  };
}
