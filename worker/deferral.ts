import type { Sql } from '../src/core/db/sql.ts';
import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import type { CircuitBreaker } from './circuitBreaker.ts';
import { whyNotClaimed } from './stages/claim.ts';

/** A delivery that could not be claimed now but can be at `untilMs`. */
export interface Later {
  ref: DeliveryRef;
  untilMs: number;
}

export interface DeferralDeps {
  sql: Sql;
  circuit: Pick<CircuitBreaker, 'claimProbe'>;
  /** Until when this process holds an endpoint's deliveries back (its circuit is opening or open). */
  holdsUntil(webhookId: string): number | undefined;
  /** Claims and sends the heads of these ordered webhooks' lines, when they may go. */
  wakeLines(webhookIds: string[]): Promise<void>;
  /** Hands a circuit's probe to the dispatcher; returns it if it could not be claimed. */
  takeProbe(ref: DeliveryRef): Promise<DeliveryRef[]>;
}

/** A delivery that lost the race to be its circuit's probe looks again after this (or when the circuit closes). */
const PROBE_LOST_RETRY_MS = 1000;

/**
 * Sorts out deliveries a claim passed over: those that will be claimable later (not due yet, leased
 * by another worker, held by an open circuit) are returned with the time to try again; one held by a
 * circuit whose cool-down is over may become the probe and is handed to the dispatcher at once; a
 * due one in an ordered line wakes its line; the rest (settled, deleted, disabled webhook, stale
 * job) need nothing more.
 */
export function createDeferral(deps: DeferralDeps) {
  return async function laterOf(missed: DeliveryRef[]): Promise<Later[]> {
    if (!missed.length) return [];
    const later: Later[] = [];
    const unknown: DeliveryRef[] = [];
    // Asked of every delivery, held here or not: once the row says the circuit is open, its probe
    // time is when to look again. Trusting this process's short hold alone had every held delivery's
    // job come back each second while attempts under way kept renewing the hold, taking the job
    // slots that new events to healthy endpoints wait for.
    const reasons = await whyNotClaimed(deps.sql, missed);
    for (const ref of missed) {
      const heldUntil = deps.holdsUntil(ref[1]);
      const why = reasons.get(ref[0]);
      if (heldUntil === undefined) unknown.push(ref);
      else later.push({ ref, untilMs: why?.kind === 'wait' ? Math.max(heldUntil, why.untilMs) : heldUntil });
    }
    if (!unknown.length) return later;
    const lines = new Set(unknown.filter(([id]) => reasons.get(id)?.kind === 'line').map(([, webhookId]) => webhookId));
    if (lines.size) await deps.wakeLines([...lines]);
    const probed = new Set<string>();
    for (const ref of unknown) {
      const why = reasons.get(ref[0]);
      if (why?.kind === 'wait') later.push({ ref, untilMs: why.untilMs });
      else if (why?.kind === 'probe') {
        // One probe per endpoint per batch is all a circuit takes.
        const won = !probed.has(ref[1]) && (await deps.circuit.claimProbe(ref));
        probed.add(ref[1]);
        const notTaken = won ? await deps.takeProbe(ref) : [ref];
        if (notTaken.length) later.push({ ref, untilMs: Date.now() + PROBE_LOST_RETRY_MS });
      }
    }
    return later;
  };
}

export type Deferral = ReturnType<typeof createDeferral>;
