import type { Logger } from 'pino';
import { type Batcher, createBatcher } from '../src/core/batcher.ts';
import type { Sql } from '../src/core/db/sql.ts';
import { renewLeases } from './stages/claim.ts';

const RETRY_RENEWAL_MS = 250;

/**
 * The deliveries a worker holds a lease on, from claim until their attempt is recorded, kept alive
 * while it holds them. Leases last one job lock and are renewed three times within it, so a killed
 * worker's deliveries are taken over about as soon as BullMQ would bring back its stalled jobs.
 */
export class HeldLeases {
  private readonly ids = new Set<string>();
  private closed = false;
  private readonly renewal: NodeJS.Timeout;
  /** Leases a publish took for a few seconds (src/core/queue/carriedClaim.ts), renewed while still held. */
  private readonly renewSoon: Batcher<string, boolean>;

  constructor(sql: Sql, leaseMs: number, logger: Logger) {
    this.renewal = setInterval(() => {
      renewLeases(sql, [...this.ids], leaseMs).catch((err) => logger.warn({ err }, 'renewing delivery leases failed'));
    }, leaseMs / 3);
    this.renewal.unref();
    // Many jobs' deliveries in one statement; those recorded or given back meanwhile are left out.
    this.renewSoon = createBatcher(
      async (ids: string[]) => {
        try {
          const renewed = new Set(
            await renewLeases(
              sql,
              ids.filter((id) => this.ids.has(id)),
              leaseMs,
            ),
          );
          return ids.map((id) => renewed.has(id));
        } catch (err) {
          logger.warn({ err, count: ids.length }, 'renewing leases taken at publish failed; trying again');
          return ids.map(() => false);
        }
      },
      { maxBatch: 1000, lingerMs: 20 },
    );
  }

  /** A delivery this worker claimed. */
  hold(id: string): void {
    this.ids.add(id);
  }

  /**
   * Deliveries a publish leased for this worker's job: those still held at `renewAtMs` (see
   * carriedRenewAt) have their short lease renewed to a full one. Most are recorded long before.
   */
  holdLeasedAtPublish(ids: string[], renewAtMs: number): void {
    if (!ids.length) return;
    for (const id of ids) this.ids.add(id);
    const renew = () => {
      for (const id of ids) if (this.ids.has(id) && !this.closed) this.renewAtPublish(id);
    };
    const delayMs = renewAtMs - Date.now();
    if (delayMs <= 0) renew();
    else setTimeout(renew, delayMs).unref();
  }

  // Sent under a lease of seconds: until it is renewed, another job's claim could take it once that
  // lease ends, so a renewal that failed, or passed over a row being recorded, is tried again soon
  // (for as long as the delivery is held), not at the next round a third of a lease away.
  private renewAtPublish(id: string): void {
    void this.renewSoon.submit(id).then((renewed) => {
      if (!renewed && !this.closed) setTimeout(() => this.ids.has(id) && this.renewAtPublish(id), RETRY_RENEWAL_MS).unref();
    });
  }

  /** The delivery's lease ended (recorded) or was given back. */
  release(id: string): void {
    this.ids.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.renewSoon.drain();
    clearInterval(this.renewal);
  }
}
