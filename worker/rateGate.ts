import type { Logger } from 'pino';
import { burstOf, type RateLimiter } from './rateLimiter.ts';
import type { DueDelivery } from './stages/claim.ts';

/** Consulted by EndpointQueues before a parked delivery takes one of its endpoint's slots. */
export interface EndpointGate {
  /** Whether this delivery may be sent now; false parks it until the gate calls back. */
  mayGo(delivery: DueDelivery): boolean;
  /** Whether the endpoint's backlog is its own to wait out (a rate limit), not work this process should pass on. */
  setsOwnPace(webhookId: string): boolean;
}

/**
 * Permits are used at once or not at all: one kept for later would be logged in Redis earlier than
 * it is sent, and the limiter's window would no longer be the receiver's.
 */
const PERMIT_TTL_MS = 20;
const RETRY_AFTER_ERROR_MS = 1000;
const MAX_KNOWN = 100_000;

interface Pace {
  permits: number;
  grantedAt: number;
  asking: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Keeps rate-limited endpoints to their limit across all workers. A limited endpoint's parked
 * deliveries wait here for permits from the Redis sliding log, holding none of the process's
 * concurrency slots (their leases are renewed with the others'), and `onReady` wakes the dispatcher
 * when permits come or the wait the limiter named is over. An endpoint without a limit pays one
 * property read.
 */
export class RateGate implements EndpointGate {
  private readonly paces = new Map<string, Pace>();
  private closed = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly onReady: () => void,
    private readonly logger: Logger,
  ) {}

  mayGo(delivery: DueDelivery): boolean {
    const limit = delivery.webhook.rateLimitPerSecond;
    if (limit == null) {
      // Its limit was lifted: its backlog counts against this process's room again.
      if (this.paces.size) this.forget(delivery.webhook.id);
      return true;
    }
    const pace = this.pace(delivery.webhook.id);
    if (pace.permits > 0 && Date.now() - pace.grantedAt <= PERMIT_TTL_MS) {
      pace.permits--;
      return true;
    }
    pace.permits = 0;
    if (!pace.asking && !pace.timer && !this.closed) this.ask(delivery.webhook.id, limit, pace);
    return false;
  }

  setsOwnPace(webhookId: string): boolean {
    return this.paces.has(webhookId);
  }

  private forget(webhookId: string): void {
    const pace = this.paces.get(webhookId);
    if (!pace) return;
    clearTimeout(pace.timer);
    this.paces.delete(webhookId);
  }

  close(): void {
    this.closed = true;
    for (const pace of this.paces.values()) clearTimeout(pace.timer);
    this.paces.clear();
  }

  private pace(webhookId: string): Pace {
    let pace = this.paces.get(webhookId);
    if (!pace) {
      // Only limited endpoints are here; past the bound, forgetting costs a round trip, never the limit.
      if (this.paces.size >= MAX_KNOWN) this.paces.clear();
      pace = { permits: 0, grantedAt: 0, asking: false };
      this.paces.set(webhookId, pace);
    }
    return pace;
  }

  private ask(webhookId: string, limit: number, pace: Pace): void {
    pace.asking = true;
    const later = (ms: number) => {
      pace.timer = setTimeout(() => {
        pace.timer = undefined;
        this.onReady();
      }, ms);
      pace.timer.unref();
    };
    this.limiter.acquire(webhookId, limit, burstOf(limit)).then(
      ({ granted, waitMs }) => {
        pace.asking = false;
        if (this.closed) return;
        if (granted > 0) {
          pace.permits = granted;
          pace.grantedAt = Date.now();
          this.onReady();
        } else later(waitMs);
      },
      (err) => {
        pace.asking = false;
        this.logger.warn({ err, webhookId }, 'rate limiter unreachable; the endpoint waits');
        if (!this.closed) later(RETRY_AFTER_ERROR_MS);
      },
    );
  }
}
