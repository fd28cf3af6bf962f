import { boundedRetryAfter, longestStepSeconds, nextRetryMs, parseRetryAfter, type RetryPolicy, windowLeftMs } from './retryPolicy.ts';
import type { SendResult } from './sendResult.ts';

export type Outcome = { status: 'SUCCEEDED' } | { status: 'RETRYING'; delayMs: number } | { status: 'FAILED'; reason: string; disableWebhook?: string };

export interface OutcomeInput {
  result: SendResult;
  /** 1-based number of this attempt within the current schedule. */
  attemptInSchedule: number;
  policy: RetryPolicy;
  /** How long ago the event was published (a window policy's clock). */
  sinceEventMs: number;
  now: Date;
  random?: () => number;
}

/** What one attempt's result means for its delivery: pure, so the table in its test is the spec. */
export function decideOutcome({ result, attemptInSchedule, policy, sinceEventMs, now, random }: OutcomeInput): Outcome {
  const { status, failure } = result;
  if (!failure) return { status: 'SUCCEEDED' };
  // The address is refused by policy: trying again would be refused again.
  if (failure.kind === 'ssrf_blocked') return { status: 'FAILED', reason: failure.message };
  // Standard Webhooks: 410 Gone means the endpoint is gone for good.
  if (failure.kind === 'http' && status === 410) {
    return { status: 'FAILED', reason: 'HTTP 410', disableWebhook: 'The endpoint answered 410 Gone' };
  }
  const scheduled = nextRetryMs(policy, attemptInSchedule, sinceEventMs, random);
  if (scheduled === null) return { status: 'FAILED', reason: failure.message };
  const honoursRetryAfter = status === 429 || status === 503;
  const retryAfter = honoursRetryAfter ? parseRetryAfter(result.headers?.['retry-after'], now) : null;
  // A receiver's Retry-After is honoured within the policy's bounds, and never past its window.
  const delayMs = Math.min(boundedRetryAfter(scheduled, retryAfter, longestStepSeconds(policy)), windowLeftMs(policy, sinceEventMs));
  return { status: 'RETRYING', delayMs };
}
