/**
 * Group commit: items submitted while a flush is running are flushed together by the next one, so a
 * busy system writes many per round trip. An idle one flushes each item at once, or, with
 * `lingerMs`, after waiting that long for company. `flush` returns one result per item, in order;
 * when it throws, every item of that batch is rejected with the error.
 */
export interface Batcher<T, R> {
  /** `now`: the item's batch goes without lingering (something waits on this one item). */
  submit(item: T, opts?: { now?: boolean }): Promise<R>;
  /** Flushes what waits without lingering, and resolves when everything submitted so far is flushed. */
  drain(): Promise<void>;
}

export interface BatcherOptions {
  maxBatch: number;
  /** Flushes running at once (default 1). */
  parallel?: number;
  /**
   * A batch short of maxBatch waits until its oldest item is this old (default 0: flush at once).
   * At a low rate most batches would hold one or two items; a few milliseconds let several share a
   * round trip, where each round trip costs every process it wakes.
   */
  lingerMs?: number;
}

export function createBatcher<T, R>(flush: (items: T[]) => Promise<R[]>, opts: BatcherOptions): Batcher<T, R> {
  const parallel = opts.parallel ?? 1;
  const lingerMs = opts.lingerMs ?? 0;
  let pending: { item: T; at: number; now: boolean; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const idle: (() => void)[] = [];
  const full = () => pending.length >= opts.maxBatch;
  /** How much longer the pending batch may wait for company (0 or less: it goes now). */
  const lingerLeft = () => {
    if (!lingerMs || full() || pending.some((p) => p.now)) return 0;
    return pending[0].at + lingerMs - performance.now();
  };

  const run = () => {
    if (immediate) clearImmediate(immediate);
    if (timer) clearTimeout(timer);
    immediate = timer = undefined;
    while (pending.length && running < parallel) {
      const waitMs = lingerLeft();
      if (waitMs > 0) {
        // Timers count whole milliseconds and may fire a little early: rounding up saves a second wake-up.
        timer = setTimeout(run, Math.ceil(waitMs));
        return;
      }
      const batch = pending.slice(0, opts.maxBatch);
      pending = pending.slice(batch.length);
      running++;
      void flush(batch.map((p) => p.item))
        .then(
          (results) => batch.forEach((p, i) => p.resolve(results[i])),
          (err) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          running--;
          if (pending.length) schedule();
          else if (running === 0) idle.splice(0).forEach((done) => done());
        });
    }
  };
  // setImmediate lets every request that arrived in the same turn of the event loop join the batch.
  // A pending linger timer already covers a short batch: only a hurried or full one needs to go sooner.
  const schedule = (now = false) => {
    if (!immediate && (!timer || now || full())) immediate = setImmediate(run);
  };

  return {
    submit(item, { now = false } = {}) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, at: performance.now(), now, resolve, reject });
        if (running < parallel) schedule(now);
      });
    },
    drain() {
      if (!pending.length && running === 0) return Promise.resolve();
      for (const p of pending) p.now = true;
      if (pending.length && running < parallel) schedule(true);
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
