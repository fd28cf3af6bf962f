const MAX_HOLDS = 100_000;

/**
 * Endpoints this process holds back on its own account, until when: an opening circuit (see
 * circuitBreaker.ts) between the moment this worker decides and the moment the webhook row says so.
 * Expired holds are forgotten as they are read; an endpoint with none costs one size check.
 */
export class EndpointHolds {
  private readonly until = new Map<string, number>();

  /** Holds the endpoint until `untilMs` (or longer, if it already was); returns until when. */
  hold(webhookId: string, untilMs: number): number {
    if (this.until.size >= MAX_HOLDS) this.until.clear();
    const until = Math.max(untilMs, this.until.get(webhookId) ?? 0);
    this.until.set(webhookId, until);
    return until;
  }

  release(webhookId: string): void {
    this.until.delete(webhookId);
  }

  /** Until when the endpoint is held, if it is. */
  heldUntil(webhookId: string, now = Date.now()): number | undefined {
    if (!this.until.size) return undefined;
    const until = this.until.get(webhookId);
    if (until === undefined || until > now) return until;
    this.until.delete(webhookId);
    return undefined;
  }
}
