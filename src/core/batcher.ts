/**
 * Group commit: items submitted while a flush is running are flushed together by the next one, so an
 * idle system flushes each item at once and a busy one writes many per round trip. `flush` returns
 * one result per item, in order; when it throws, every item of that batch is rejected with the error.
 */
export interface Batcher<T, R> {
  submit(item: T): Promise<R>;
  /** Resolves when everything submitted so far has been flushed. */
  drain(): Promise<void>;
}

export function createBatcher<T, R>(flush: (items: T[]) => Promise<R[]>, opts: { maxBatch: number; parallel?: number }): Batcher<T, R> {
  const parallel = opts.parallel ?? 1;
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  const run = async () => {
    scheduled = false;
    while (pending.length && running < parallel) {
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
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (running < parallel) schedule();
      });
    },
    drain() {
      if (!pending.length && running === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
