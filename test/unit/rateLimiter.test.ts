import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { burstOf, createRateLimiter, windowMs } from '../../worker/rateLimiter.ts';
import { RateGate } from '../../worker/rateGate.ts';
import { waitUntil } from '../support/wait.ts';

const redis = new Redis('redis://127.0.0.1:6379');
afterAll(() => redis.quit());

/** The most timestamps in any half-open window [t, t + span). */
function mostInWindow(times: number[], span: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= span) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('sliding-log rate limiter', () => {
  it.each([
    [[0, 100, 200, 1100], 1000, 3],
    [[0, 999, 1000], 1000, 2],
    [[0, 0, 0, 500, 999], 1000, 5],
    [[], 1000, 0],
  ])('counts the most timestamps in a sliding window: %j over %i ms → %i', (times, span, most) => {
    expect(mostInWindow(times, span)).toBe(most);
  });

  it.each([
    [1, 1],
    [20, 1],
    [100, 5],
    [10_000, 500],
  ])('grants at most %i/20 at once (limit %i)', (perSecond, burst) => {
    expect(burstOf(perSecond)).toBe(burst);
  });

  it('two limiters (two workers) sharing an endpoint never grant more than the limit in any window', async () => {
    const prefix = `hookpost-test-${randomBytes(4).toString('hex')}`;
    const headroomMs = 50;
    const workers = [createRateLimiter(redis, prefix, headroomMs), createRateLimiter(redis, prefix, headroomMs)];
    const limit = 15;
    const granted: number[] = [];
    const deadline = Date.now() + 1600;
    // Both ask as fast as they can, as a backlog of deliveries would. Grants are counted at the time
    // Redis logged them (this process's own clock would see answers late under load).
    await Promise.all(
      workers.map(async (limiter) => {
        while (Date.now() < deadline) {
          const { granted: n, waitMs, atMs } = await limiter.acquire('whk_shared', limit, 5);
          for (let i = 0; i < n; i++) granted.push(atMs);
          if (!n) {
            expect(waitMs).toBeGreaterThan(0);
            await new Promise((r) => setTimeout(r, Math.min(waitMs, 20)));
          }
        }
      }),
    );
    expect(mostInWindow(granted, windowMs(headroomMs))).toBeLessThanOrEqual(limit);
    // It does grant: more than a window's worth over the run.
    expect(granted.length).toBeGreaterThan(limit);
    const keys = await redis.keys(`${prefix}:*`);
    expect(keys).toEqual([`${prefix}:rate:whk_shared`]);
    await redis.del(...keys);
  });
});

describe('rate gate', () => {
  it('paces a limited endpoint on its own, and forgets it once its limit is lifted', async () => {
    let ready = 0;
    const gate = new RateGate(createRateLimiter(redis, `gate-${randomBytes(4).toString('hex')}`, 100), () => ready++, pino({ level: 'silent' }));
    const delivery = (limit: number | null) => ({ id: 'dlv_1', webhook: { id: 'whk_gate', rateLimitPerSecond: limit } }) as never;
    expect(gate.setsOwnPace('whk_gate')).toBe(false);
    // The first ask goes to Redis; the permits it brings wake the dispatcher.
    expect(gate.mayGo(delivery(5))).toBe(false);
    expect(gate.setsOwnPace('whk_gate')).toBe(true);
    await waitUntil(() => ready > 0, 5000, 'permits');
    // The limit lifted: it goes at once and its backlog is the process's to count again.
    expect(gate.mayGo(delivery(null))).toBe(true);
    expect(gate.setsOwnPace('whk_gate')).toBe(false);
    gate.close();
  });
});
