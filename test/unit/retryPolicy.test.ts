import { describe, expect, it } from 'vitest';
import {
  boundedRetryAfter,
  DEFAULT_SCHEDULE_SECONDS,
  parseRetryAfter,
  parseScheduleEnv,
  retryDelayMs,
  retryPolicySchema,
  scheduleOf,
} from '../../src/core/delivery/retryPolicy.ts';
import { decideOutcome } from '../../src/core/delivery/outcome.ts';
import type { SendResult } from '../../src/core/delivery/sendResult.ts';

const middle = () => 0.5; // no jitter
describe('schedule', () => {
  it('defaults to 1 min, 5 min, 15 min, 1 h, 6 h (6 attempts in all)', () => {
    expect(DEFAULT_SCHEDULE_SECONDS).toEqual([60, 300, 900, 3600, 21600]);
    expect(scheduleOf(null, DEFAULT_SCHEDULE_SECONDS)).toHaveLength(5);
  });

  it.each([
    [{ schedule: [1, 2, 3] }, [1, 2, 3]],
    [{ schedule: [] }, []],
    [{ maxAttempts: 5, initialDelaySeconds: 10, backoffMultiplier: 3 }, [10, 30, 90, 270]],
    [{ maxAttempts: 5, initialDelaySeconds: 10, backoffMultiplier: 3, maxDelaySeconds: 60 }, [10, 30, 60, 60]],
    [{ maxAttempts: 1, initialDelaySeconds: 10, backoffMultiplier: 2 }, []],
    [{ initialDelaySeconds: 10, windowSeconds: 100 }, [10, 20, 40]],
    [{ initialDelaySeconds: 10, maxDelaySeconds: 30, windowSeconds: 100 }, [10, 20, 30, 30]],
    [{ maxAttempts: 3, initialDelaySeconds: 10, windowSeconds: 100 }, [10, 20]],
  ])('%j → %j', (policy, expected) => {
    expect(scheduleOf(retryPolicySchema.parse(policy), DEFAULT_SCHEDULE_SECONDS)).toEqual(expected);
  });

  it.each([
    [{ schedule: [-1] }],
    [{ schedule: [0] }],
    [{ maxAttempts: 0, initialDelaySeconds: 1 }],
    [{ maxAttempts: 3, initialDelaySeconds: 10, maxDelaySeconds: 5 }],
    [{ maxAttempts: 3, initialDelaySeconds: 10, backoffMultiplier: 0.5 }],
    [{ schedule: [1], maxAttempts: 3 }],
    [{ initialDelaySeconds: 10 }],
    [{ initialDelaySeconds: 10, windowSeconds: 0 }],
    [{ initialDelaySeconds: 10, windowSeconds: 31 * 24 * 3600 }],
    [{}],
  ])('rejects %j', (policy) => {
    expect(retryPolicySchema.safeParse(policy).success).toBe(false);
  });

  it('applies at most ±20 % jitter', () => {
    expect(retryDelayMs([60], 1, () => 0)).toBe(48_000);
    expect(retryDelayMs([60], 1, () => 0.5)).toBe(60_000);
    expect(retryDelayMs([60], 1, () => 0.99999)).toBe(72_000);
    expect(retryDelayMs([60], 2, middle)).toBeNull();
  });

  it('parses HOOKPOST_RETRY_SCHEDULE', () => {
    expect(parseScheduleEnv('0.2, 1,5')).toEqual([0.2, 1, 5]);
    expect(() => parseScheduleEnv('1,x')).toThrow(/comma-separated non-negative seconds/);
    expect(() => parseScheduleEnv('-1')).toThrow(/comma-separated non-negative seconds/);
  });
});

describe('Retry-After', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', null],
    [undefined, null],
  ])('%s → %s ms', (value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));

  // schedule [60, 300]: longest step 300 s
  it.each([
    [60_000, null, 60_000],
    [60_000, 10_000, 60_000], // never sooner than the schedule
    [60_000, 120_000, 120_000],
    [60_000, 3_600_000, 300_000], // never beyond the longest step
  ])('scheduled %i, Retry-After %s → %i', (scheduled, retryAfter, expected) => {
    expect(boundedRetryAfter(scheduled, retryAfter, 300)).toBe(expected);
  });
});

describe('outcome of an attempt', () => {
  // As the sender reports it: a non-2xx status is an `http` failure unless a transport failure is given.
  const res = (status: number | null, extra: Partial<SendResult> = {}): SendResult => ({
    status,
    headers: {},
    body: '',
    durationMs: 1,
    failure: status !== null && (status < 200 || status >= 300) ? { kind: 'http', message: `HTTP ${status}` } : null,
    ...extra,
  });
  const decide = (result: SendResult, attemptInSchedule = 1, schedule = [60, 300]) =>
    decideOutcome({ result, attemptInSchedule, policy: { schedule }, sinceEventMs: 0, now: new Date(0), random: middle });

  it.each([
    ['200', res(200), { status: 'SUCCEEDED' }],
    ['204', res(204), { status: 'SUCCEEDED' }],
    ['2xx whose body timed out', res(200, { failure: { kind: 'timeout', message: 'TIMEOUT: …' } }), { status: 'RETRYING', delayMs: 60_000 }],
    ['301 (redirects are failures)', res(301), { status: 'RETRYING', delayMs: 60_000 }],
    ['500', res(500), { status: 'RETRYING', delayMs: 60_000 }],
    ['timeout', res(null, { failure: { kind: 'timeout', message: 'TIMEOUT: no answer' } }), { status: 'RETRYING', delayMs: 60_000 }],
    ['429 with Retry-After 120', res(429, { headers: { 'retry-after': '120' } }), { status: 'RETRYING', delayMs: 120_000 }],
    ['503 with Retry-After 1 day', res(503, { headers: { 'retry-after': '86400' } }), { status: 'RETRYING', delayMs: 300_000 }],
    ['500 ignores Retry-After', res(500, { headers: { 'retry-after': '120' } }), { status: 'RETRYING', delayMs: 60_000 }],
    ['410 Gone', res(410), { status: 'FAILED', reason: 'HTTP 410', disableWebhook: 'The endpoint answered 410 Gone' }],
    ['SSRF block', res(null, { failure: { kind: 'ssrf_blocked', message: 'SSRF_BLOCKED: 10.0.0.1' } }), { status: 'FAILED', reason: 'SSRF_BLOCKED: 10.0.0.1' }],
  ])('%s', (_what, result, expected) => expect(decide(result)).toEqual(expected));

  it('dead-letters after the last scheduled attempt', () => {
    expect(decide(res(500), 2)).toEqual({ status: 'RETRYING', delayMs: 300_000 });
    expect(decide(res(500), 3)).toEqual({ status: 'FAILED', reason: 'HTTP 500' });
    expect(decide(res(null, { failure: { kind: 'network', message: 'ECONNREFUSED: x' } }), 1, [])).toEqual({ status: 'FAILED', reason: 'ECONNREFUSED: x' });
  });
});

describe('a retry window', () => {
  const res500: SendResult = { status: 500, headers: {}, body: '', durationMs: 1, failure: { kind: 'http', message: 'HTTP 500' } };
  // PolicyCortex: "24-hour retry window", "exponential backoff": from 60 s, doubling, at most an hour apart.
  const policy = retryPolicySchema.parse({ initialDelaySeconds: 60, backoffMultiplier: 2, maxDelaySeconds: 3600, windowSeconds: 86_400 });

  it('retries with the backoff until the next try would begin past the window, then dead-letters', () => {
    // A fake clock: each attempt fails the moment it is made, at the time the previous outcome named.
    let clockMs = 0;
    const attemptsAt: number[] = [];
    for (let n = 1; ; n++) {
      attemptsAt.push(clockMs);
      const outcome = decideOutcome({ result: res500, attemptInSchedule: n, policy, sinceEventMs: clockMs, now: new Date(clockMs), random: middle });
      if (outcome.status !== 'RETRYING') {
        expect(outcome).toEqual({ status: 'FAILED', reason: 'HTTP 500' });
        break;
      }
      clockMs += outcome.delayMs;
    }
    const gaps = attemptsAt.slice(1).map((t, i) => (t - attemptsAt[i]) / 1000);
    expect(gaps.slice(0, 7)).toEqual([60, 120, 240, 480, 960, 1920, 3600]);
    expect(gaps.slice(7).every((g) => g === 3600)).toBe(true);
    // Every try begins within the window, and the last one less than a step before its end.
    expect(Math.max(...attemptsAt)).toBeLessThanOrEqual(86_400_000);
    expect(86_400_000 - Math.max(...attemptsAt)).toBeLessThan(3_600_000);
    expect(attemptsAt).toHaveLength(scheduleOf(policy, []).length + 1);
  });

  it('keeps jitter and Retry-After inside the window', () => {
    const late = 86_400_000 - 65_000;
    const tooLong = { ...res500, status: 503, headers: { 'retry-after': '3000' } };
    // 65 s of window left: a 60 s step with +20 % jitter, and a Retry-After of 50 minutes, end with it.
    expect(decideOutcome({ result: res500, attemptInSchedule: 1, policy, sinceEventMs: late, now: new Date(late), random: () => 0.99999 })).toEqual({
      status: 'RETRYING',
      delayMs: 65_000,
    });
    expect(decideOutcome({ result: tooLong, attemptInSchedule: 1, policy, sinceEventMs: late, now: new Date(late), random: middle })).toEqual({
      status: 'RETRYING',
      delayMs: 65_000,
    });
  });

  it('a manual retry after the window makes one more attempt', () => {
    const after = 2 * 86_400_000;
    expect(decideOutcome({ result: res500, attemptInSchedule: 1, policy, sinceEventMs: after, now: new Date(after), random: middle })).toEqual({
      status: 'FAILED',
      reason: 'HTTP 500',
    });
  });
});
