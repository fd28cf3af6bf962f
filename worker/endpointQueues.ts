import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import type { EndpointGate } from './rateGate.ts';
import type { DueDelivery } from './stages/claim.ts';

const DEFAULT_CAP = 10;
const MAX_WAITING = 100_000;
const MAX_KNOWN_CAPS = 100_000;

interface Endpoint {
  cap: number;
  /** Requests to this endpoint under way. */
  inFlight: number;
  /** Deliveries this process holds for the endpoint: being claimed, claimed (parked) or in flight. */
  reserved: number;
  /** Claimed and leased, waiting for one of the endpoint's slots. */
  parked: DueDelivery[];
  /** Not claimed: the endpoint has enough in hand; Postgres still has these open. */
  waiting: Map<string, DeliveryRef>;
  refilling: boolean;
  /** When each request in flight started. */
  started: Map<string, number>;
  /** Smoothed time the endpoint takes to answer (or to time out), once it has answered. */
  answerMs: number | null;
}

/**
 * An endpoint at its cap that answers this slowly, or has a request out this long, is congested:
 * its backlog is its own and must not keep this process from taking other endpoints' work.
 */
const CONGESTED_AFTER_MS = 1000;

/**
 * Per-endpoint concurrency: at most `cap` requests to one webhook in flight in this process, and at
 * most another `cap` claimed ahead so the next ones go without a round trip. Anything beyond waits
 * here unclaimed (if the process dies, the reconciler finds those deliveries open in Postgres), so a
 * slow endpoint fills its own slots and holds up nobody else.
 */
export class EndpointQueues {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly caps = new Map<string, number>();
  private readonly withParked = new Set<string>();
  private waitingTotal = 0;

  /** `gate` may hold an endpoint's parked deliveries back (its rate limit); they take no slot meanwhile. */
  constructor(private readonly gate?: EndpointGate) {}

  private endpoint(webhookId: string): Endpoint {
    let e = this.endpoints.get(webhookId);
    if (!e) {
      e = {
        cap: this.caps.get(webhookId) ?? DEFAULT_CAP,
        inFlight: 0,
        reserved: 0,
        parked: [],
        waiting: new Map(),
        refilling: false,
        started: new Map(),
        answerMs: null,
      };
      this.endpoints.set(webhookId, e);
    }
    return e;
  }

  /** Splits refs into those to claim now (reserved) and those left waiting. */
  admit(refs: DeliveryRef[]): DeliveryRef[] {
    const admitted: DeliveryRef[] = [];
    for (const ref of refs) {
      const e = this.endpoint(ref[1]);
      if (e.reserved < 2 * e.cap && e.waiting.size === 0) {
        e.reserved++;
        admitted.push(ref);
      } else if (!e.waiting.has(ref[0]) && this.waitingTotal < MAX_WAITING) {
        // Past the bound a delivery is dropped from memory only: the reconciler brings it back.
        e.waiting.set(ref[0], ref);
        this.waitingTotal++;
      }
    }
    return admitted;
  }

  /**
   * Reserves a slot for one delivery already leased (carried by its job) if its endpoint has room
   * for it now and none waiting before it; returns whether it did.
   */
  admitLeased(webhookId: string, maxConcurrency: number): boolean {
    if (!this.endpoints.has(webhookId) && !this.caps.has(webhookId)) this.rememberCap(webhookId, maxConcurrency);
    const e = this.endpoint(webhookId);
    const fits = e.waiting.size === 0 && e.reserved < 2 * e.cap;
    if (fits) e.reserved++;
    return fits;
  }

  /** Counts a delivery claimed without `admit` (an ordered line's head) as held for its endpoint. */
  reserve(webhookId: string): void {
    this.endpoint(webhookId).reserved++;
  }

  /** A claimed delivery, ready to go when its endpoint has a free slot. */
  park(d: DueDelivery): void {
    this.rememberCap(d.webhook.id, d.webhook.maxConcurrency);
    const e = this.endpoint(d.webhook.id);
    e.cap = d.webhook.maxConcurrency;
    e.parked.push(d);
    this.withParked.add(d.webhook.id);
  }

  private rememberCap(webhookId: string, cap: number): void {
    if (this.caps.size >= MAX_KNOWN_CAPS) this.caps.clear();
    this.caps.set(webhookId, cap);
  }

  /** A reserved delivery was not claimed after all (the claim failed). */
  unreserve(webhookId: string): void {
    const e = this.endpoints.get(webhookId);
    if (e) e.reserved--;
  }

  /**
   * A reserved delivery was not claimed (settled, held by another worker or by a circuit). Returns
   * waiting refs to claim in its place: refs wait only while others are reserved, and with nothing
   * of the endpoint in flight no answer would come to let them go.
   */
  unclaimed(webhookId: string): DeliveryRef[] {
    const e = this.endpoints.get(webhookId);
    if (!e) return [];
    e.reserved--;
    return this.refill(webhookId, e);
  }

  /** The next parked delivery whose endpoint has a free slot, taking that slot. */
  nextSendable(): DueDelivery | undefined {
    for (const webhookId of this.withParked) {
      const e = this.endpoints.get(webhookId)!;
      if (e.inFlight >= e.cap || (this.gate && !this.gate.mayGo(e.parked[0]))) continue;
      const d = e.parked.shift()!;
      if (!e.parked.length) this.withParked.delete(webhookId);
      // Round robin: an endpoint that just sent goes to the back of the line.
      else {
        this.withParked.delete(webhookId);
        this.withParked.add(webhookId);
      }
      e.inFlight++;
      e.started.set(d.id, Date.now());
      return d;
    }
    return undefined;
  }

  /**
   * Deliveries this process holds and will send soon: parked and waiting ones of every endpoint
   * that is not congested. A congested endpoint's backlog is left out, so that it cannot stop this
   * process from taking other endpoints' work; the rest is counted, so that one process does not
   * hoard work other worker processes could do.
   */
  backlog(now = Date.now()): number {
    let n = 0;
    for (const [webhookId, e] of this.endpoints) {
      if (!this.congested(e, now) && !this.gate?.setsOwnPace(webhookId)) n += e.parked.length + e.waiting.size;
    }
    return n;
  }

  private congested(e: Endpoint, now: number): boolean {
    if (e.inFlight < e.cap) return false;
    if ((e.answerMs ?? 0) > CONGESTED_AFTER_MS) return true;
    for (const started of e.started.values()) if (now - started > CONGESTED_AFTER_MS) return true;
    return false;
  }

  /**
   * An endpoint answered: its slot is free. Returns the waiting deliveries to claim now (reserved
   * already), unless a claim for this endpoint is under way; call `refilled` when it is done.
   */
  sent(webhookId: string, deliveryId: string): DeliveryRef[] {
    const e = this.endpoints.get(webhookId);
    if (!e) return [];
    const started = e.started.get(deliveryId);
    if (started !== undefined) {
      const took = Date.now() - started;
      e.answerMs = e.answerMs === null ? took : 0.8 * e.answerMs + 0.2 * took;
      e.started.delete(deliveryId);
    }
    e.inFlight--;
    e.reserved--;
    return this.refill(webhookId, e);
  }

  refilled(webhookId: string): DeliveryRef[] {
    const e = this.endpoints.get(webhookId);
    if (!e) return [];
    e.refilling = false;
    return this.refill(webhookId, e);
  }

  private refill(webhookId: string, e: Endpoint): DeliveryRef[] {
    // Claim in batches once half the claim-ahead is used, so a busy endpoint costs a round trip per few deliveries.
    if (e.refilling || !e.waiting.size || e.reserved > e.cap) {
      // An idle endpoint is forgotten, its learned cap kept; a slow one is remembered as slow.
      if (!e.refilling && e.reserved === 0 && !e.waiting.size && (e.answerMs ?? 0) <= CONGESTED_AFTER_MS) this.endpoints.delete(webhookId);
      return [];
    }
    const next: DeliveryRef[] = [];
    for (const [id, ref] of e.waiting) {
      if (e.reserved >= 2 * e.cap) break;
      e.waiting.delete(id);
      this.waitingTotal--;
      e.reserved++;
      next.push(ref);
    }
    e.refilling = true;
    return next;
  }

  /** Takes out an endpoint's parked deliveries and waiting refs (its circuit opened); in-flight ones go on. */
  evict(webhookId: string): { parked: DueDelivery[]; waiting: DeliveryRef[] } {
    const e = this.endpoints.get(webhookId);
    if (!e) return { parked: [], waiting: [] };
    const parked = e.parked.splice(0);
    e.reserved -= parked.length;
    this.withParked.delete(webhookId);
    const waiting = [...e.waiting.values()];
    this.waitingTotal -= waiting.length;
    e.waiting.clear();
    return { parked, waiting };
  }

  /** Hands back everything held (on shutdown): parked deliveries and waiting refs. */
  takeAll(): { parked: DueDelivery[]; waiting: DeliveryRef[] } {
    const parked = [...this.endpoints.values()].flatMap((e) => e.parked.splice(0));
    const waiting = [...this.endpoints.values()].flatMap((e) => [...e.waiting.values()]);
    for (const e of this.endpoints.values()) e.waiting.clear();
    this.withParked.clear();
    this.waitingTotal = 0;
    return { parked, waiting };
  }
}
