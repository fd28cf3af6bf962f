import { z } from 'zod';

// Seconds to wait after each failed attempt: 1 min, 5 min, 15 min, 1 h, 6 h → 6 attempts in all.
export const DEFAULT_SCHEDULE_SECONDS = [60, 300, 900, 3600, 21_600];
export const JITTER = 0.2;
const MAX_ATTEMPTS = 30;
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const seconds = z.number().positive().max(MAX_DELAY_SECONDS);

/** Attempts a window policy makes at most (a long window of short steps must still end). */
const MAX_WINDOW_ATTEMPTS = 500;
const MAX_WINDOW_SECONDS = 30 * 24 * 3600;

export const retryPolicySchema = z.union([
  z.object({ schedule: z.array(seconds).max(MAX_ATTEMPTS - 1) }).strict(),
  z
    .object({
      maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
      initialDelaySeconds: seconds,
      backoffMultiplier: z.number().min(1).max(10).default(2),
      maxDelaySeconds: seconds.optional(),
      windowSeconds: z.number().positive().max(MAX_WINDOW_SECONDS).optional(),
    })
    .strict()
    .refine((p) => p.maxDelaySeconds === undefined || p.maxDelaySeconds >= p.initialDelaySeconds, {
      message: 'maxDelaySeconds must not be less than initialDelaySeconds',
    })
    .refine((p) => p.maxAttempts !== undefined || p.windowSeconds !== undefined, {
      message: 'give maxAttempts, windowSeconds or both',
    }),
]);

export type RetryPolicy = z.infer<typeof retryPolicySchema>;
type Backoff = Exclude<RetryPolicy, { schedule: number[] }>;

/** The backoff's step after failed attempt `n` (1-based), in seconds, before jitter. */
const backoffStep = (p: Backoff, n: number) => Math.min(p.maxDelaySeconds ?? MAX_DELAY_SECONDS, p.initialDelaySeconds * p.backoffMultiplier ** (n - 1));

/**
 * The wait, in seconds, after each failed attempt; its length + 1 is the number of attempts. A
 * window policy's steps are those that still begin within the window after the event.
 */
export function scheduleOf(policy: RetryPolicy | null | undefined, fallback: number[]): number[] {
  if (!policy) return fallback;
  if ('schedule' in policy) return policy.schedule;
  const steps: number[] = [];
  let elapsed = 0;
  for (let n = 1; n < (policy.maxAttempts ?? MAX_WINDOW_ATTEMPTS); n++) {
    const step = backoffStep(policy, n);
    if (policy.windowSeconds !== undefined && elapsed + step > policy.windowSeconds) break;
    steps.push(step);
    elapsed += step;
  }
  return steps;
}

/**
 * Milliseconds until the next try after failed attempt number `n` of the current schedule
 * (1-based), ±20 % jitter so that a recovering receiver is not hit by every retry at once; null
 * when none is left. A window policy retries while the next try still begins within its window
 * after the event (`sinceEventMs` ago); jitter never carries a try past the window's end.
 */
export function nextRetryMs(policy: RetryPolicy, n: number, sinceEventMs: number, random: () => number = Math.random): number | null {
  if ('schedule' in policy || policy.windowSeconds === undefined) return retryDelayMs(scheduleOf(policy, []), n, random);
  if (policy.maxAttempts !== undefined && n >= policy.maxAttempts) return null;
  const leftMs = policy.windowSeconds * 1000 - sinceEventMs;
  const stepMs = backoffStep(policy, n) * 1000;
  if (stepMs > leftMs) return null;
  return Math.min(leftMs, Math.round(stepMs * (1 + JITTER * (2 * random() - 1))));
}

/** How long a window policy still retries (ms); Infinity for a policy without a window. */
export function windowLeftMs(policy: RetryPolicy, sinceEventMs: number): number {
  return 'windowSeconds' in policy && policy.windowSeconds !== undefined ? policy.windowSeconds * 1000 - sinceEventMs : Number.POSITIVE_INFINITY;
}

/** The longest wait a policy ever makes (a receiver's Retry-After may not ask for more). */
export function longestStepSeconds(policy: RetryPolicy): number {
  if ('schedule' in policy) return Math.max(0, ...policy.schedule);
  return policy.maxDelaySeconds ?? backoffStep(policy, Math.max(1, scheduleOf(policy, []).length));
}

/** Parses `HOOKPOST_RETRY_SCHEDULE`: comma-separated seconds, decimals allowed, e.g. "0.2,0.5,1". */
export function parseScheduleEnv(value: string): number[] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isFinite(n) || n < 0) || parts.length > MAX_ATTEMPTS - 1) {
    throw new Error(`a schedule is up to ${MAX_ATTEMPTS - 1} comma-separated non-negative seconds`);
  }
  return parts;
}

/**
 * Milliseconds until the next try after failed attempt number `n` of the current schedule (1-based),
 * ±20 % jitter so that a recovering receiver is not hit by every retry at once; null when none is left.
 */
export function retryDelayMs(schedule: number[], n: number, random: () => number = Math.random): number | null {
  const base = schedule[n - 1];
  if (base === undefined) return null;
  return Math.round(base * 1000 * (1 + JITTER * (2 * random() - 1)));
}

/** A Retry-After value (delay-seconds or HTTP-date) in ms from `now`, or null if absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/**
 * Honours a receiver's Retry-After within bounds: never sooner than the schedule says, never later
 * than the policy's longest step (a receiver cannot park a delivery for a week).
 */
export function boundedRetryAfter(scheduledMs: number, retryAfterMs: number | null, longestSeconds: number): number {
  if (retryAfterMs === null) return scheduledMs;
  return Math.max(scheduledMs, Math.min(retryAfterMs, longestSeconds * 1000));
}
