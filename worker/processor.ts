import { DelayedError, type Job } from 'bullmq';
import type { AttemptJob, DeliveryJobData } from '../src/core/queue/deliveryQueue.ts';
import type { Deferral } from './deferral.ts';
import type { DeliveryDispatcher } from './dispatcher.ts';

export interface ProcessorDeps {
  dispatcher: DeliveryDispatcher;
  /** Which of the deliveries the dispatcher could not claim can be tried later, and when. */
  laterOf: Deferral;
  /** Schedules a later attempt job (for deliveries of a publish job that are not due yet). */
  scheduleAttempts(jobs: AttemptJob[]): Promise<void>;
}

/**
 * One BullMQ job run hands its deliveries to the dispatcher and is done. A delivery the job could not
 * claim because it is not due yet, another worker's lease still holds it, or its endpoint's circuit
 * is open, is tried again when that ends: an attempt job moves itself to then; a publish job leaves
 * an attempt job behind. Neither spends an attempt. A delivery in an ordered webhook's line is not
 * claimed on its own: its job wakes the line, whose head goes (see deferral.ts).
 */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  return async function processDeliveryJob(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    if (!(await deps.dispatcher.room(job.data.deliveries.length)) && token) {
      // The worker is stopping: the job goes back to the queue at once, for another worker.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const missed = await deps.dispatcher.take(job.data.deliveries);
    const later = await deps.laterOf(missed);
    if (!later.length) return;
    if (job.name === 'attempt' && token) {
      await job.moveToDelayed(Math.ceil(later[0].untilMs), token);
      throw new DelayedError();
    }
    await deps.scheduleAttempts(later.map(({ ref: [deliveryId, webhookId, attemptCount], untilMs }) => ({ deliveryId, webhookId, attemptCount, delayMs: untilMs - Date.now() })));
  };
}
