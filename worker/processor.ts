import { DelayedError, type Job } from 'bullmq';
import type { Sql } from '../src/core/db/sql.ts';
import type { AttemptJob, DeliveryJobData } from '../src/core/queue/deliveryQueue.ts';
import type { DeliveryDispatcher } from './dispatcher.ts';
import { whyNotClaimed } from './stages/claim.ts';

export interface ProcessorDeps {
  sql: Sql;
  dispatcher: DeliveryDispatcher;
  /** Schedules a later attempt job (for deliveries of a publish job that are not due yet). */
  scheduleAttempts(jobs: AttemptJob[]): Promise<void>;
}

/**
 * One BullMQ job run hands its deliveries to the dispatcher and is done. A delivery the job could not
 * claim because it is not due yet, or another worker's lease still holds it, is tried again when that
 * ends: an attempt job moves itself to then; a publish job leaves an attempt job behind. A delivery
 * in an ordered webhook's line is not claimed on its own: its job wakes the line, whose head goes.
 */
export function createDeliveryProcessor(deps: ProcessorDeps) {
  return async function processDeliveryJob(job: Job<DeliveryJobData>, token?: string): Promise<void> {
    await deps.dispatcher.room(job.data.deliveries.length);
    const missed = await deps.dispatcher.take(job.data.deliveries);
    if (!missed.length) return;
    const reasons = await whyNotClaimed(deps.sql, missed);
    const lines = new Set(missed.filter(([id]) => reasons.get(id)?.kind === 'line').map(([, webhookId]) => webhookId));
    if (lines.size) await deps.dispatcher.wakeLines([...lines]);
    const later = missed.flatMap(([deliveryId, webhookId, attemptCount]) => {
      const why = reasons.get(deliveryId);
      return why?.kind === 'wait' ? [{ deliveryId, webhookId, attemptCount, untilMs: why.untilMs }] : [];
    });
    if (!later.length) return;
    if (job.name === 'attempt' && token) {
      await job.moveToDelayed(Math.ceil(later[0].untilMs), token);
      throw new DelayedError();
    }
    await deps.scheduleAttempts(later.map(({ untilMs, ...j }) => ({ ...j, delayMs: untilMs - Date.now() })));
  };
}
