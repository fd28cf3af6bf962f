import type { Logger } from 'pino';
import type { Sql } from '../src/core/db/sql.ts';
import type { Wakeup } from '../src/core/queue/wakeups.ts';
import type { Attempts, Sent, Settled } from './attempt.ts';
import { EndpointSlots } from './endpointSlots.ts';
import type { HeldLeases } from './heldLeases.ts';
import { RateGate } from './rateGate.ts';
import type { RateLimiter } from './rateLimiter.ts';
import { RetryTimers } from './retryTimers.ts';
import { claimDue, type DueDelivery, releaseLeases } from './stages/claim.ts';
import { claimLineHeads } from './stages/claimLine.ts';
import { WantedEndpoints } from './wantedEndpoints.ts';

export interface PumpDeps {
  /** The claim's pool (prepared statements). */
  preparedSql: Sql;
  /** For ordered lines, whose claim takes advisory locks in a transaction. */
  sql: Sql;
  attempts: Attempts;
  leases: HeldLeases;
  /** Keeps rate-limited endpoints to their limit (see rateGate.ts). */
  rateLimiter: RateLimiter;
  /** Requests in flight at most. */
  limit: number;
  leaseMs: number;
  logger: Logger;
  /** Endpoints with more due than this process has room for: another worker may take them. */
  share(wakeup: Wakeup): void;
  /** Each claim's count of deliveries, and of those taken over from a lapsed lease (metrics). */
  onClaim?(claimed: number, takenOver: number): void;
}

const CLAIM_RETRY_MS = 1000;

/**
 * The worker's engine. It is told which endpoints may have due deliveries (`want`), claims them
 * from Postgres as far as their concurrency and its own allow, and sends with at most `limit`
 * requests in flight: claim → send → record → settle. One claim runs at a time; what is wanted and
 * the slots freed meanwhile make the next one, so a busy worker claims for many endpoints at once.
 */
export class DeliveryPump {
  private readonly gate: RateGate;
  private readonly slots: EndpointSlots;
  private readonly wanted: WantedEndpoints;
  private readonly retries = new RetryTimers((wakeup) => this.want(wakeup));
  private active = 0;
  private recording = 0;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  /** Claims started so far; and per endpoint whose circuit this process opened, the claim under way then. */
  private claimSeq = 0;
  private readonly openedDuringClaim = new Map<string, number>();
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: PumpDeps) {
    this.gate = new RateGate(deps.rateLimiter, () => this.sendNext(), deps.logger);
    this.slots = new EndpointSlots(this.gate);
    this.wanted = new WantedEndpoints(this.slots);
  }

  /** These endpoints may have due deliveries. */
  want(wakeup: Wakeup): void {
    if (this.stopped) return;
    this.wanted.add(wakeup);
    this.claimSoon();
  }

  /** Stops claiming; hands back what is claimed and unsent, and resolves once in-flight attempts are recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.retries.stop();
    this.gate.close();
    await this.claiming;
    await this.handBack(this.slots.takeAll(), true);
    this.wanted.clear();
    if (this.active > 0 || this.recording > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private claimSoon(): void {
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimRounds().finally(() => {
      this.claiming = undefined;
    });
  }

  private async claimRounds(): Promise<void> {
    do {
      this.claimAgain = false;
      try {
        await this.claimOnce();
      } catch (err) {
        this.deps.logger.warn({ err }, 'claiming deliveries failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
        this.claimAgain = true;
      }
    } while (this.claimAgain && !this.stopped);
  }

  private async claimOnce(): Promise<void> {
    // Claimed ahead by at most one concurrency's worth, so the next sends go without a round trip
    // and other worker processes find the rest; a slow Postgres must not pile up recordings.
    const room = 2 * this.deps.limit - this.active - this.slots.parked;
    if (room <= 0 || this.recording >= 4 * this.deps.limit) return;
    const plan = this.wanted.plan();
    if (!plan.requests.length && !plan.lines.length) return;
    const seq = ++this.claimSeq;
    let [claimed, heads] = await Promise.all([
      claimDue(this.deps.preparedSql, plan.requests, room, this.deps.leaseMs),
      plan.lines.length ? claimLineHeads(this.deps.sql, plan.lines, this.deps.leaseMs) : [],
    ]);
    if (this.stopped) return this.handBack([...claimed, ...heads], false);
    // A claim that read the endpoint's circuit closed just before this process's last record opened
    // it: what it took goes back unsent (the circuit's probe is claimed afresh).
    const openedMeanwhile = (d: DueDelivery) => (this.openedDuringClaim.get(d.webhook.id) ?? 0) >= seq;
    const late = claimed.filter(openedMeanwhile);
    if (late.length) {
      claimed = claimed.filter((d) => !openedMeanwhile(d));
      await this.handBack(late, false);
    }
    for (const [id, at] of this.openedDuringClaim) if (at < seq) this.openedDuringClaim.delete(id);
    for (const d of [...claimed, ...heads]) {
      this.deps.leases.hold(d.id);
      this.slots.park(d);
    }
    this.deps.onClaim?.(claimed.length + heads.length, claimed.filter((d) => d.takenOver).length);
    const filled = this.wanted.claimed(plan, room, claimed, heads);
    if (filled.length) this.deps.share({ webhookIds: filled, lines: [] });
    this.sendNext();
  }

  private sendNext(): void {
    while (this.active < this.deps.limit && !this.stopped) {
      const delivery = this.slots.nextSendable();
      if (!delivery) break;
      this.active++;
      void this.attempt(delivery);
    }
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const { attempts, logger } = this.deps;
    const webhookId = delivery.webhook.id;
    let sent: Sent | undefined;
    try {
      sent = await attempts.send(delivery);
    } catch (err) {
      // The request could not even be built (a secret no key opens): the lease runs out, the log says why.
      logger.error({ err, deliveryId: delivery.id }, 'building a delivery attempt failed');
    }
    const failed = sent !== undefined && sent.result.failure !== null;
    // The endpoint's slot is free once it has answered; recording goes on beside the next sends.
    this.active--;
    this.recording++;
    this.slots.answered(webhookId, failed);
    this.sendNext();
    try {
      const settled = sent && (await attempts.record(delivery, sent, delivery.line === true || this.recording >= this.deps.limit));
      if (settled) await this.afterAttempt(delivery, settled);
    } catch (err) {
      logger.error({ err, deliveryId: delivery.id }, 'settling a delivery attempt failed');
    } finally {
      if (failed) this.slots.recorded(webhookId);
      this.deps.leases.release(delivery.id);
      this.recording--;
      // The head of a line is settled (or waits for its retry): the line's next one may go now.
      if (delivery.line) this.wanted.lineSettled(webhookId);
      this.sendNext();
      if (this.wanted.any) this.claimSoon();
      if (this.active === 0 && this.recording === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  private async afterAttempt(delivery: DueDelivery, settled: Settled): Promise<void> {
    const webhookId = delivery.webhook.id;
    const wakeup = delivery.line ? { webhookIds: [], lines: [webhookId] } : { webhookIds: [webhookId], lines: [] };
    if (settled.retryAtMs !== undefined) this.retries.at(wakeup, settled.retryAtMs);
    if (settled.circuit === 'held') {
      this.openedDuringClaim.set(webhookId, this.claimSeq);
      // The circuit is open: what this process claimed of the endpoint goes back unsent, for its probe.
      this.wanted.drop(webhookId);
      await this.handBack(this.slots.evict(webhookId), false);
    } else if (settled.circuit === 'released') {
      this.want(wakeup);
      this.deps.share(wakeup);
    }
  }

  /** Releases claimed deliveries unsent; `share`: and tells other workers they are due (on shutdown). */
  private async handBack(deliveries: DueDelivery[], share: boolean): Promise<void> {
    if (!deliveries.length) return;
    for (const d of deliveries) this.deps.leases.release(d.id);
    try {
      await releaseLeases(
        this.deps.preparedSql,
        deliveries.map((d) => d.id),
      );
    } catch (err) {
      this.deps.logger.warn({ err, count: deliveries.length }, 'could not give leases back; they run out by themselves');
    }
    if (!share) return;
    const endpoints = (line: boolean) => [...new Set(deliveries.filter((d) => (d.line === true) === line).map((d) => d.webhook.id))];
    this.deps.share({ webhookIds: endpoints(false), lines: endpoints(true) });
  }
}
