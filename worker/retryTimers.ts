import type { Wakeup } from '../src/core/queue/wakeups.ts';

/** Retry times waited for, at most, over all endpoints; past this the sweep's next look finds them. */
const MAX_TIMES = 10_000;
/** Retries of one endpoint due this close together are looked at once: the claim takes all that are due. */
const SAME_LOOK_MS = 5;

interface EndpointTimes {
  wakeup: Wakeup;
  /** Pending times, earliest first; a timer waits for the first. */
  times: number[];
  timer: NodeJS.Timeout;
}

/**
 * The retries this process scheduled, each looked at when it is due rather than at the sweep's next
 * look. One timer per endpoint (or line) waits for its earliest retry; when it fires, the claim takes
 * whatever of the endpoint is due, and the timer moves on to the endpoint's next retry time.
 */
export class RetryTimers {
  private readonly endpoints = new Map<string, EndpointTimes>();
  private count = 0;
  private stopped = false;

  constructor(private readonly onDue: (wakeup: Wakeup) => void) {}

  /** Looks at this endpoint (or line) at `atMs`. */
  at(wakeup: Wakeup, atMs: number): void {
    if (this.stopped || this.count >= MAX_TIMES) return;
    const key = JSON.stringify(wakeup);
    const known = this.endpoints.get(key);
    if (!known) {
      this.endpoints.set(key, { wakeup, times: [atMs], timer: this.timer(key, atMs) });
      this.count++;
      return;
    }
    const { times } = known;
    let i = times.findIndex((t) => t >= atMs - SAME_LOOK_MS);
    if (i !== -1 && Math.abs(times[i] - atMs) <= SAME_LOOK_MS) return;
    if (i === -1) i = times.length;
    times.splice(i, 0, atMs);
    this.count++;
    if (i === 0) {
      clearTimeout(known.timer);
      known.timer = this.timer(key, atMs);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.endpoints.values()) clearTimeout(timer);
    this.endpoints.clear();
    this.count = 0;
  }

  private timer(key: string, atMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.fire(key), Math.max(0, atMs - Date.now()));
    timer.unref();
    return timer;
  }

  private fire(key: string): void {
    const known = this.endpoints.get(key);
    if (!known) return;
    const now = Date.now();
    const due = known.times.findIndex((t) => t > now + SAME_LOOK_MS);
    const dropped = due === -1 ? known.times.length : due;
    known.times.splice(0, dropped);
    this.count -= dropped;
    if (known.times.length) known.timer = this.timer(key, known.times[0]);
    else this.endpoints.delete(key);
    this.onDue(known.wakeup);
  }
}
