import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';

const DEFAULT_CAP = 10;

interface Gate {
  inFlight: number;
  cap: number;
  /** Deliveries waiting for a slot, in arrival order, unclaimed (Postgres still has them open). */
  waiting: Map<string, DeliveryRef>;
}

/**
 * Per-endpoint concurrency: at most `cap` deliveries to one webhook in flight in this process, so a
 * slow endpoint fills its own slots and nobody else's. What does not fit waits here, unclaimed: if the
 * process dies, the reconciler finds those deliveries open in Postgres.
 */
export class EndpointGates {
  private readonly gates = new Map<string, Gate>();
  private waitingTotal = 0;

  constructor(private readonly maxWaiting = 100_000) {}

  private gate(webhookId: string): Gate {
    let gate = this.gates.get(webhookId);
    if (!gate) {
      gate = { inFlight: 0, cap: DEFAULT_CAP, waiting: new Map() };
      this.gates.set(webhookId, gate);
    }
    return gate;
  }

  /** Splits refs into those that got a slot (reserved now) and those left waiting. */
  admit(refs: DeliveryRef[]): DeliveryRef[] {
    const admitted: DeliveryRef[] = [];
    for (const ref of refs) {
      const gate = this.gate(ref[1]);
      if (gate.inFlight < gate.cap && gate.waiting.size === 0) {
        gate.inFlight++;
        admitted.push(ref);
      } else if (!gate.waiting.has(ref[0]) && this.waitingTotal < this.maxWaiting) {
        // Past the bound the delivery is dropped from memory only: the reconciler brings it back.
        gate.waiting.set(ref[0], ref);
        this.waitingTotal++;
      }
    }
    return admitted;
  }

  /** A claim showed the webhook's configured cap. */
  learnCap(webhookId: string, cap: number): void {
    this.gate(webhookId).cap = cap;
  }

  /**
   * A slot is given back (sent, or not claimed after all). Returns the waiting deliveries that now
   * fit, already holding their slots.
   */
  release(webhookId: string): DeliveryRef[] {
    const gate = this.gates.get(webhookId);
    if (!gate) return [];
    gate.inFlight--;
    const next: DeliveryRef[] = [];
    for (const [id, ref] of gate.waiting) {
      if (gate.inFlight >= gate.cap) break;
      gate.waiting.delete(id);
      this.waitingTotal--;
      gate.inFlight++;
      next.push(ref);
    }
    if (gate.inFlight === 0 && gate.waiting.size === 0) this.gates.delete(webhookId);
    return next;
  }

  inFlight(webhookId: string): number {
    return this.gates.get(webhookId)?.inFlight ?? 0;
  }

  /** Hands back every waiting delivery (on shutdown: they go back to the queue). */
  takeWaiting(): DeliveryRef[] {
    const all = [...this.gates.values()].flatMap((gate) => [...gate.waiting.values()]);
    for (const gate of this.gates.values()) gate.waiting.clear();
    this.waitingTotal = 0;
    return all;
  }
}
