import { z } from 'zod';

// Seconds to wait after each failed attempt: 1 min, 5 min, 15 min, 1 h, 6 h → 6 attempts in all.
export const DEFAULT_SCHEDULE_SECONDS = [60, 300, 900, 3600, 21_600];
export const JITTER = 0.2;
const MAX_ATTEMPTS = 30;
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

const seconds = z.number().positive().max(MAX_DELAY_SECONDS);

export const retryPolicySchema = z.union([
  z.object({ schedule: z.array(seconds).max(MAX_ATTEMPTS - 1) }).strict(),
  z
    .object({
      maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS),
      initialDelaySeconds: seconds,
      backoffMultiplier: z.number().min(1).max(10).default(2),
      maxDelaySeconds: seconds.optional(),
    })
    .strict()
    .refine((p) => p.maxDelaySeconds === undefined || p.maxDelaySeconds >= p.initialDelaySeconds, {
      message: 'maxDelaySeconds must not be less than initialDelaySeconds',
    }),
]);

export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** The wait, in seconds, after each failed attempt; its length + 1 is the number of attempts. */
export function scheduleOf(policy: RetryPolicy | null | undefined, fallback: number[]): number[] {
  if (!policy) return fallback;
  if ('schedule' in policy) return policy.schedule;
  const cap = policy.maxDelaySeconds ?? MAX_DELAY_SECONDS;
  return Array.from({ length: policy.maxAttempts - 1 }, (_, i) => Math.min(cap, policy.initialDelaySeconds * policy.backoffMultiplier ** i));
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
 * than the schedule's longest step (a receiver cannot park a delivery for a week).
 */
export function boundedRetryAfter(scheduledMs: number, retryAfterMs: number | null, schedule: number[]): number {
  if (retryAfterMs === null) return scheduledMs;
  const longest = Math.max(...schedule) * 1000;
  return Math.max(scheduledMs, Math.min(retryAfterMs, longest));
}
