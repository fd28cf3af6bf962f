/** Thrown to have BullMQ retry the job after `delayMs` (read by the worker's backoff strategy). */
export class RetryScheduled extends Error {
  override readonly name = 'RetryScheduled';

  constructor(readonly delayMs: number, reason: string) {
    super(`retry in ${delayMs} ms: ${reason}`);
  }
}
