import { type JobsOptions, Queue } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import type { CarriedClaim } from './carriedClaim.ts';

export const DELIVERY_QUEUE_NAME = 'deliveries';

/**
 * A delivery as a job names it: the webhook, so the worker can apply its concurrency cap before
 * claiming, and the attempts made so far, so a job for an attempt already made is recognised as stale.
 */
export type DeliveryRef = [deliveryId: string, webhookId: string, attemptCount: number];

export interface DeliveryJobData {
  deliveries: DeliveryRef[];
  /** Some of them leased at publish, with what sending them needs (see carriedClaim.ts). */
  carried?: CarriedClaim;
}

export interface AttemptJob {
  deliveryId: string;
  webhookId: string;
  /** Attempts already made: the job is for attempt `attemptCount + 1`. */
  attemptCount: number;
  delayMs?: number;
}

/** Jobs by state: waiting to run, delayed until their retry time, running now. */
export interface QueueDepth {
  waiting: number;
  delayed: number;
  active: number;
}

/** The delivery queue as the rest of Hookpost sees it: nothing reaches through to BullMQ itself. */
export interface DeliveryQueue {
  /**
   * New deliveries (a publish batch): a job per up to FRESH_JOB_SIZE deliveries, not one per
   * delivery. `carried` goes with the first job; its deliveries must all be in that one.
   */
  enqueueFresh(refs: DeliveryRef[], carried?: CarriedClaim): Promise<void>;
  /**
   * One job per delivery for its next attempt, with id `<deliveryId>-<attemptCount>`: a retry, the
   * reconciler and a manual retry asking for the same attempt add one job, not three.
   */
  enqueueAttempts(jobs: AttemptJob[]): Promise<void>;
  /** Runs a delivery's next attempt now: its delayed job is promoted, a missing one is added. */
  bringForward(job: AttemptJob): Promise<void>;
  /** How many jobs wait, are delayed and run (for metrics). */
  depth(): Promise<QueueDepth>;
  /** The attempt jobs among these that do not exist (for the reconciler's count of lost jobs). */
  withoutJob(jobs: AttemptJob[]): Promise<AttemptJob[]>;
  /** Removes every job of this deployment's queue (tests and benchmarks clean up with it). */
  obliterate(): Promise<void>;
  close(): Promise<void>;
}

export const FRESH_JOB_SIZE = 500;
/** How long bringForward waits for a running job to settle where it goes next, and how often it looks. */
const ACTIVE_WAIT_MS = 3000;
const ACTIVE_POLL_MS = 50;

export const attemptJobId = (job: Pick<AttemptJob, 'deliveryId' | 'attemptCount'>) => `${job.deliveryId}-${job.attemptCount}`;

export function createDeliveryQueue(connection: RedisClient, prefix: string, onError: (err: Error) => void): DeliveryQueue {
  const queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      // Postgres holds the history; finished jobs only need to free their id for a later attempt.
      removeOnComplete: true,
      removeOnFail: true,
      // A job only fails when the worker could not claim its deliveries (Postgres away): it backs
      // off and tries again; the receiver's retry schedule lives in Postgres, not here.
      attempts: 1000,
      backoff: { type: 'hookpost-backoff' },
    },
  });
  queue.on('error', onError);
  // BullMQ's addBulk builds an ioredis pipeline, which copies every script the connection knows
  // (64) onto it: 4 % of the API's CPU at 500 publishes/s, where most batches make one job.
  const addJobs = async (jobs: { name: string; data: DeliveryJobData; opts?: JobsOptions }[]) => {
    if (jobs.length === 1) await queue.add(jobs[0].name, jobs[0].data, jobs[0].opts);
    else if (jobs.length > 0) await queue.addBulk(jobs);
  };
  const enqueueAttempts: DeliveryQueue['enqueueAttempts'] = (jobs) =>
    addJobs(
      jobs.map((j) => ({
        name: 'attempt',
        data: { deliveries: [[j.deliveryId, j.webhookId, j.attemptCount]] },
        opts: { jobId: attemptJobId(j), delay: j.delayMs && j.delayMs > 0 ? Math.round(j.delayMs) : undefined },
      })),
    );
  return {
    async enqueueFresh(refs, carried) {
      const jobs: { name: string; data: DeliveryJobData }[] = [];
      for (let i = 0; i < refs.length; i += FRESH_JOB_SIZE) {
        jobs.push({ name: 'fresh', data: { deliveries: refs.slice(i, i + FRESH_JOB_SIZE) } });
      }
      if (carried && jobs.length) jobs[0].data.carried = carried;
      await addJobs(jobs);
    },
    enqueueAttempts,
    async bringForward(job) {
      let existing = await queue.getJob(attemptJobId(job));
      // A job running now may be about to move itself back to delayed (its delivery was held when it
      // looked, e.g. by a circuit that has just closed): once it has, it is promoted below. Bounded,
      // since a job waiting for room in a busy worker claims its delivery anyway.
      for (const giveUpAt = Date.now() + ACTIVE_WAIT_MS; existing && Date.now() < giveUpAt && (await existing.isActive()); ) {
        await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
        existing = await queue.getJob(attemptJobId(job));
      }
      if (existing && (await existing.isDelayed())) {
        try {
          return await existing.promote();
        } catch (err) {
          // Its time came between the two calls and a worker took it: it runs now, as asked. If it
          // is gone already, the add below makes a new one (while it exists, the add does nothing).
          if (await existing.isDelayed()) throw err;
        }
      }
      await enqueueAttempts([{ ...job, delayMs: 0 }]);
    },
    async depth() {
      const c = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
      return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0 };
    },
    async withoutJob(jobs) {
      if (jobs.length === 0) return [];
      // A job is a hash under its id; one EXISTS per job, in one round trip.
      const pipeline = connection.pipeline();
      for (const job of jobs) pipeline.exists(queue.toKey(attemptJobId(job)));
      const results = (await pipeline.exec()) ?? [];
      return jobs.filter((_, i) => results[i]?.[1] === 0);
    },
    obliterate: () => queue.obliterate({ force: true }),
    close: () => queue.close(),
  };
}
