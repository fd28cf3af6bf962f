import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BatcherOptions, createBatcher } from '../../src/core/batcher.ts';

describe('group commit batcher', () => {
  it('flushes alone when idle and together what arrives while a flush runs', async () => {
    const flushed: number[][] = [];
    let release = () => {};
    const batcher = createBatcher(
      async (items: number[]) => {
        flushed.push(items);
        if (flushed.length === 1) await new Promise<void>((r) => (release = r));
        return items.map((n) => n * 10);
      },
      { maxBatch: 3 },
    );
    const first = batcher.submit(1);
    await new Promise((r) => setImmediate(r));
    expect(flushed).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((n) => batcher.submit(n));
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    // What waited went out in batches of at most maxBatch, in order.
    expect(flushed).toEqual([[1], [2, 3, 4], [5]]);
    await batcher.drain();
  });

  it('rejects every item of a failed flush, and goes on with the next', async () => {
    let calls = 0;
    const batcher = createBatcher(
      async (items: string[]) => {
        if (++calls === 1) throw new Error('database away');
        return items;
      },
      { maxBatch: 10 },
    );
    const failed = [batcher.submit('a'), batcher.submit('b')];
    await expect(Promise.all(failed)).rejects.toThrow('database away');
    await expect(failed[1]).rejects.toThrow('database away');
    expect(await batcher.submit('c')).toBe('c');
  });

  it('runs up to `parallel` flushes at once', async () => {
    let running = 0;
    let most = 0;
    const batcher = createBatcher(
      async (items: number[]) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return items;
      },
      { maxBatch: 1, parallel: 2 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    expect(most).toBe(2);
  });

  it('drain resolves once everything submitted is flushed', async () => {
    const done: number[] = [];
    const batcher = createBatcher(
      async (items: number[]) => {
        await new Promise((r) => setTimeout(r, 10));
        done.push(...items);
        return items;
      },
      { maxBatch: 2 },
    );
    void batcher.submit(1);
    void batcher.submit(2);
    void batcher.submit(3);
    await batcher.drain();
    expect(done).toEqual([1, 2, 3]);
  });
});

// Lingering is about time, so these run on fake timers: each limit is exact, whatever the machine's load.
describe('group commit batcher with lingerMs', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  /** Moves the fake clock on by `ms`, running every timer and immediate due on the way. */
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  /** A batcher that echoes its items and keeps each flush, with when it came (ms after the start). */
  const echoing = (opts: BatcherOptions) => {
    const start = performance.now();
    const flushes: { items: number[]; afterMs: number }[] = [];
    const batcher = createBatcher(async (items: number[]) => {
      flushes.push({ items, afterMs: performance.now() - start });
      return items;
    }, opts);
    return { batcher, flushed: () => flushes.map((f) => f.items), flushes };
  };

  it('holds a short batch until its oldest item is that old, so later items join it', async () => {
    const { batcher, flushed, flushes } = echoing({ maxBatch: 3, lingerMs: 40 });
    const first = batcher.submit(1);
    await advance(39);
    expect(flushed()).toEqual([]);
    const second = batcher.submit(2);
    await advance(0);
    expect(flushed()).toEqual([]);
    await advance(1);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(flushes).toEqual([{ items: [1, 2], afterMs: 40 }]);
  });

  it('flushes a full batch at once', async () => {
    const { batcher, flushed, flushes } = echoing({ maxBatch: 2, lingerMs: 60_000 });
    const both = Promise.all([batcher.submit(1), batcher.submit(2)]);
    await advance(0);
    expect(await both).toEqual([1, 2]);
    expect(flushes).toEqual([{ items: [1, 2], afterMs: 0 }]);
    // The one left over waits for company, up to the whole linger.
    const third = batcher.submit(3);
    await advance(59_999);
    expect(flushed()).toEqual([[1, 2]]);
    void batcher.submit(4);
    await advance(0);
    expect(await third).toBe(3);
    expect(flushes).toEqual([
      { items: [1, 2], afterMs: 0 },
      { items: [3, 4], afterMs: 59_999 },
    ]);
  });

  it('drain flushes what waits at once', async () => {
    const { batcher, flushes } = echoing({ maxBatch: 10, lingerMs: 60_000 });
    const first = batcher.submit(1);
    await advance(10);
    expect(flushes).toEqual([]);
    const drained = batcher.drain();
    await advance(0);
    await drained;
    expect(await first).toBe(1);
    expect(flushes).toEqual([{ items: [1], afterMs: 10 }]);
  });

  it('sends a batch at once when an item asks for it', async () => {
    const { batcher, flushes } = echoing({ maxBatch: 10, lingerMs: 60_000 });
    const first = batcher.submit(1);
    await advance(10);
    expect(flushes).toEqual([]);
    const second = batcher.submit(2, { now: true });
    await advance(0);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(flushes).toEqual([{ items: [1, 2], afterMs: 10 }]);
  });

  it('an item asking to go while a flush runs goes right after it', async () => {
    let release = () => {};
    const start = performance.now();
    const flushes: { items: number[]; afterMs: number }[] = [];
    const batcher = createBatcher(
      async (items: number[]) => {
        flushes.push({ items, afterMs: performance.now() - start });
        if (flushes.length === 1) await new Promise<void>((r) => (release = r));
        return items;
      },
      { maxBatch: 10, lingerMs: 60_000 },
    );
    const first = batcher.submit(1, { now: true });
    await advance(10);
    const second = batcher.submit(2, { now: true });
    await advance(10);
    // Held behind the running flush, not lingering: it goes as soon as that one is done.
    expect(flushes).toEqual([{ items: [1], afterMs: 0 }]);
    release();
    await advance(0);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(flushes).toEqual([
      { items: [1], afterMs: 0 },
      { items: [2], afterMs: 20 },
    ]);
  });

  it('with two flushes at a time, each short batch lingers', async () => {
    const { batcher, flushes } = echoing({ maxBatch: 2, lingerMs: 30, parallel: 2 });
    const all = Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    await advance(29);
    expect(flushes).toEqual([{ items: [1, 2], afterMs: 0 }]);
    await advance(1);
    expect(await all).toEqual([1, 2, 3]);
    expect(flushes).toEqual([
      { items: [1, 2], afterMs: 0 },
      { items: [3], afterMs: 30 },
    ]);
  });
});
