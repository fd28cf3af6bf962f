import type { EndpointGate } from './rateGate.ts';
import type { DueDelivery } from './stages/claim.ts';

interface Endpoint {
  /** The webhook's maxConcurrency, as its last claimed delivery carried it. */
  cap: number;
  /** Claimed and leased, waiting for one of the endpoint's slots. */
  parked: DueDelivery[];
  /** Requests to this endpoint under way. */
  inFlight: number;
  /** Failed answers not yet recorded: the endpoint sends nothing new until the circuit has seen them. */
  unrecordedFailures: number;
}

/**
 * Per-endpoint concurrency in this process: at most `cap` requests to one webhook in flight, and
 * what the claim took beyond that parked until a slot frees. The claim asks for at most `cap`
 * minus what is held here (parked or in flight), so a slow endpoint fills its own slots and holds
 * up nobody else; its other due deliveries stay in Postgres, unclaimed.
 */
export class EndpointSlots {
  private readonly endpoints = new Map<string, Endpoint>();
  /** Endpoints with parked deliveries, in round-robin order. */
  private readonly withParked = new Set<string>();
  private parkedTotal = 0;

  /** `gate` may hold an endpoint's parked deliveries back (its rate limit); they take no slot meanwhile. */
  constructor(private readonly gate?: EndpointGate) {}

  /** Deliveries of this endpoint held here: parked or in flight. */
  heldOf(webhookId: string): number {
    const e = this.endpoints.get(webhookId);
    return e ? e.parked.length + e.inFlight : 0;
  }

  /** Whether this process holds as many of the endpoint's deliveries as its cap allows. */
  isFull(webhookId: string): boolean {
    const e = this.endpoints.get(webhookId);
    return e !== undefined && e.parked.length + e.inFlight >= e.cap;
  }

  get parked(): number {
    return this.parkedTotal;
  }

  /** A claimed delivery, ready to go when its endpoint has a free slot. */
  park(d: DueDelivery): void {
    const e = this.endpoint(d.webhook.id, d.webhook.maxConcurrency);
    e.cap = d.webhook.maxConcurrency;
    e.parked.push(d);
    this.parkedTotal++;
    this.withParked.add(d.webhook.id);
  }

  /** The next parked delivery whose endpoint has a free slot, taking that slot. */
  nextSendable(): DueDelivery | undefined {
    for (const webhookId of this.withParked) {
      const e = this.endpoints.get(webhookId)!;
      if (e.inFlight >= e.cap || e.unrecordedFailures > 0 || (this.gate && !this.gate.mayGo(e.parked[0]))) continue;
      const d = e.parked.shift()!;
      this.parkedTotal--;
      // Round robin: an endpoint that just sent goes to the back of the line.
      this.withParked.delete(webhookId);
      if (e.parked.length) this.withParked.add(webhookId);
      e.inFlight++;
      return d;
    }
    return undefined;
  }

  /** The endpoint answered (or the request failed): its slot is free. `failed` holds it until `recorded`. */
  answered(webhookId: string, failed: boolean): void {
    const e = this.endpoints.get(webhookId);
    if (!e) return;
    e.inFlight--;
    if (failed) e.unrecordedFailures++;
    this.forgetIfIdle(webhookId, e);
  }

  /** A failed answer of this endpoint is recorded and its circuit moved. */
  recorded(webhookId: string): void {
    const e = this.endpoints.get(webhookId);
    if (!e) return;
    e.unrecordedFailures = Math.max(0, e.unrecordedFailures - 1);
    this.forgetIfIdle(webhookId, e);
  }

  /** Takes out an endpoint's parked deliveries (its circuit opened); in-flight ones go on. */
  evict(webhookId: string): DueDelivery[] {
    const e = this.endpoints.get(webhookId);
    if (!e) return [];
    const parked = e.parked.splice(0);
    this.parkedTotal -= parked.length;
    this.withParked.delete(webhookId);
    this.forgetIfIdle(webhookId, e);
    return parked;
  }

  /** Every parked delivery (on shutdown); in-flight ones go on. */
  takeAll(): DueDelivery[] {
    return [...this.endpoints.keys()].flatMap((webhookId) => this.evict(webhookId));
  }

  private endpoint(webhookId: string, cap: number): Endpoint {
    let e = this.endpoints.get(webhookId);
    if (!e) {
      e = { cap, parked: [], inFlight: 0, unrecordedFailures: 0 };
      this.endpoints.set(webhookId, e);
    }
    return e;
  }

  private forgetIfIdle(webhookId: string, e: Endpoint): void {
    if (!e.parked.length && e.inFlight === 0 && e.unrecordedFailures === 0) this.endpoints.delete(webhookId);
  }
}
