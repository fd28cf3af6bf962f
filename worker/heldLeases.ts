import type { Logger } from 'pino';
import type { Sql } from '../src/core/db/sql.ts';
import { renewLeases } from './stages/claim.ts';

/**
 * The deliveries a worker holds a lease on, from claim until their attempt is recorded, kept alive
 * while it holds them: renewed three times within a lease, so a killed worker's deliveries are
 * claimable again about one lease after it died.
 */
export class HeldLeases {
  private readonly ids = new Set<string>();
  private readonly renewal: NodeJS.Timeout;

  constructor(sql: Sql, leaseMs: number, logger: Logger) {
    this.renewal = setInterval(() => {
      renewLeases(sql, [...this.ids], leaseMs).catch((err) => logger.warn({ err }, 'renewing delivery leases failed'));
    }, leaseMs / 3);
    this.renewal.unref();
  }

  /** A delivery this worker claimed. */
  hold(id: string): void {
    this.ids.add(id);
  }

  /** The delivery's lease ended (recorded) or was given back. */
  release(id: string): void {
    this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }

  close(): void {
    clearInterval(this.renewal);
  }
}
