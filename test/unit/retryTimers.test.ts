import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryTimers } from '../../worker/retryTimers.ts';
import type { Wakeup } from '../../src/core/queue/wakeups.ts';

const endpoint = (id: string): Wakeup => ({ webhookIds: [id], lines: [] });

describe('retry timers', () => {
  let looks: { id: string; atMs: number }[];
  let timers: RetryTimers;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    looks = [];
    timers = new RetryTimers((wakeup) => looks.push({ id: wakeup.webhookIds[0], atMs: Date.now() }));
  });
  afterEach(() => {
    timers.stop();
    vi.useRealTimers();
  });

  it('looks at an endpoint at each of its retry times, not only at the earliest', () => {
    timers.at(endpoint('a'), 200);
    timers.at(endpoint('a'), 600);
    timers.at(endpoint('a'), 400);
    vi.advanceTimersByTime(1000);
    expect(looks).toEqual([
      { id: 'a', atMs: 200 },
      { id: 'a', atMs: 400 },
      { id: 'a', atMs: 600 },
    ]);
  });

  it('looks once at retries due within a few milliseconds of each other, and moves to an earlier one', () => {
    timers.at(endpoint('a'), 300);
    timers.at(endpoint('a'), 302);
    timers.at(endpoint('a'), 100);
    timers.at(endpoint('b'), 150);
    vi.advanceTimersByTime(1000);
    expect(looks).toEqual([
      { id: 'a', atMs: 100 },
      { id: 'b', atMs: 150 },
      { id: 'a', atMs: 300 },
    ]);
  });

  it('looks at nothing once stopped', () => {
    timers.at(endpoint('a'), 100);
    timers.stop();
    timers.at(endpoint('a'), 200);
    vi.advanceTimersByTime(1000);
    expect(looks).toEqual([]);
  });
});
