import { boundedRetryAfter, parseRetryAfter, retryDelayMs } from '../src/delivery/retryPolicy.ts';
import type { SendResult } from './httpSender.ts';

export type Outcome =
  | { status: 'SUCCEEDED' }
  | { status: 'RETRYING'; delayMs: number }
  | { status: 'FAILED'; reason: string; disableWebhook?: string };

export interface OutcomeInput {
  result: SendResult;
  /** 1-based number of this attempt within the current schedule. */
  attemptInSchedule: number;
  schedule: number[];
  now: Date;
  random?: () => number;
}

/** What one attempt's result means for its delivery: pure, so the table in its test is the spec. */
export function decideOutcome({ result, attemptInSchedule, schedule, now, random }: OutcomeInput): Outcome {
  const { status, error } = result;
  if (!error && status !== null && status >= 200 && status < 300) return { status: 'SUCCEEDED' };
  if (error?.startsWith('SSRF_BLOCKED')) return { status: 'FAILED', reason: error };
  // Standard Webhooks: 410 Gone means the endpoint is gone for good.
  if (status === 410) {
    return { status: 'FAILED', reason: 'HTTP 410', disableWebhook: 'The endpoint answered 410 Gone' };
  }
  const scheduled = retryDelayMs(schedule, attemptInSchedule, random);
  if (scheduled === null) return { status: 'FAILED', reason: error ?? `HTTP ${status}` };
  const honoursRetryAfter = status === 429 || status === 503;
  const retryAfter = honoursRetryAfter ? parseRetryAfter(result.headers?.['retry-after'], now) : null;
  return { status: 'RETRYING', delayMs: boundedRetryAfter(scheduled, retryAfter, schedule) };
}
