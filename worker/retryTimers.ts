import type { Wakeup } from '../src/core/queue/wakeups.ts';

/** Retries waited for one by one, at most; past this the sweep's next look finds them. */
const MAX_TIMERS = 10_000;

/**
 * The retries this process scheduled, each looked at on a timer of its own at its time, so that a
 * retry goes when it is due rather than at the sweep's next look. Only the earliest per endpoint is
 * kept: when it fires, the claim takes whatever of the endpoint is due, and the sweep finds the rest.
 */
export class RetryTimers {
  private readonly timers = new Map<string, { atMs: number; timer: NodeJS.Timeout }>();
  private stopped = false;

  constructor(private readonly onDue: (wakeup: Wakeup) => void) {}

  /** Looks at this endpoint (or line) at `atMs`. */
  at(wakeup: Wakeup, atMs: number): void {
    const key = JSON.stringify(wakeup);
    const known = this.timers.get(key);
    if (this.stopped || (known && known.atMs <= atMs) || (!known && this.timers.size >= MAX_TIMERS)) return;
    clearTimeout(known?.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.onDue(wakeup);
      },
      Math.max(0, atMs - Date.now()),
    );
    timer.unref();
    this.timers.set(key, { atMs, timer });
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
