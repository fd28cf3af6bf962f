import { DelayedError, type Job } from 'bullmq';
import { type CarriedClaim, carriedRenewAt } from '../src/core/queue/carriedClaim.ts';
import type { AttemptJob, DeliveryJobData, DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { carriedDeliveries } from './stages/carried.ts';
import type { Deferral } from './deferral.ts';
import type { DeliveryDispatcher } from './dispatcher.ts';

export interface ProcessorDeps {
  dispatcher: DeliveryDispatcher;
  /** Which of the deliveries the dispatcher could not claim can be tried later, and when. */
  laterOf: Deferral;
  /** Schedules a later attempt job (for deliveries of a publish job that are not due yet). */
  scheduleAttempts(jobs: AttemptJob[]): Promise<void>;
  /**
   * Gives back leases a job's carried claim took that this worker does not send on (stages/carried.ts).
   * Never rejects: a lease it could not give back runs out by itself, and the claim waits for that.
   */
  releaseCarried(claim: CarriedClaim, deliveryIds: string[]): Promise<void>;
}

/** A run that failed half-way may have sent some of its carried deliveries. */
const isFirstRun = (job: Job) => job.attemptsMade === 0 && (job.attemptsStarted ?? 1) <= 1;

/**
 * One BullMQ job run hands its deliveries to the dispatcher and is done. A delivery the job could not
 * claim because it is not due yet, another worker's lease still holds it, or its endpoint's circuit
 * is open, is tried again when that ends: an attempt job moves itself to then; a publish job leaves
 * an attempt job behind. Neither spends an attempt. A delivery in an ordered webhook's line is not
 * claimed on its own: its job wakes the line, whose head goes (see deferral.ts).
 */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  /** Gives back a carried lease for these deliveries while it is live (one already over needs nothing). */
  async function giveBack(carried: CarriedClaim, ids: string[]): Promise<void> {
    if (ids.length && carried.leaseUntilMs > Date.now()) await deps.releaseCarried(carried, ids);
  }

  /**
   * Sends what the job's carried claim leased, if the lease is young and this is the job's first
   * run, as far as their endpoints have room; a first run gives the other leases back. Returns the
   * refs left to claim.
   */
  async function takeCarried(job: Job<DeliveryJobData>): Promise<DeliveryRef[]> {
    const { deliveries: refs, carried } = job.data;
    if (!carried) return refs;
    const firstRun = isFirstRun(job);
    const taken = new Set(firstRun ? deps.dispatcher.takeLeased(carriedDeliveries(carried, refs), carriedRenewAt(carried)).map((d) => d.id) : []);
    // A later run leaves them leased: the first may have sent some, which their claim must not take
    // again before it is recorded; their claims wait for the lease instead.
    if (firstRun)
      await giveBack(
        carried,
        Object.keys(carried.deliveries).filter((id) => !taken.has(id)),
      );
    return taken.size ? refs.filter(([id]) => !taken.has(id)) : refs;
  }

  return async function processDeliveryJob(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    if (!(await deps.dispatcher.room(job.data.deliveries.length)) && token) {
      // The worker is stopping: the job goes back to the queue at once, for another worker, and
      // what it leased is free for that worker's claims.
      const { carried } = job.data;
      if (carried && isFirstRun(job)) await giveBack(carried, Object.keys(carried.deliveries));
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const missed = await deps.dispatcher.take(await takeCarried(job));
    const later = await deps.laterOf(missed);
    if (!later.length) return;
    if (job.name === 'attempt' && token) {
      await job.moveToDelayed(Math.ceil(later[0].untilMs), token);
      throw new DelayedError();
    }
    await deps.scheduleAttempts(
      later.map(({ ref: [deliveryId, webhookId, attemptCount], untilMs }) => ({ deliveryId, webhookId, attemptCount, delayMs: untilMs - Date.now() })),
    );
  };
}
