import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config } from '../src/core/config.ts';
import type { AttemptObserver } from '../src/core/metrics.ts';
import type { Sql } from '../src/core/db/sql.ts';
import { decideOutcome } from '../src/core/delivery/outcome.ts';
import { scheduleOf } from '../src/core/delivery/retryPolicy.ts';
import { newId } from '../src/core/ids.ts';
import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { EndpointHolds } from './endpointHolds.ts';
import { EndpointQueues } from './endpointQueues.ts';
import { RateGate } from './rateGate.ts';
import type { RateLimiter } from './rateLimiter.ts';
import { sendWebhook } from './httpSender.ts';
import type { Recorder } from './recorder.ts';
import { buildRequest, type HeadersOpener, loggedHeaders, type SecretOpener } from './stages/build.ts';
import { HeldLeases } from './heldLeases.ts';
import { claimDeliveries, type DueDelivery, releaseLeases } from './stages/claim.ts';
import { claimLineHeads } from './stages/claimLine.ts';
import { lineHeadJobs } from '../src/core/queue/lineHeads.ts';
import { settle, type SettleDeps } from './stages/settle.ts';

export interface DispatcherDeps {
  config: Config;
  /** For ordered lines (claimLine.ts, lineHeads.ts). */
  sql: Sql;
  /** For the claim and leases: prepared statements on generic plans (see src/core/db/sql.ts). */
  preparedSql: Sql;
  http: HttpDispatcher;
  recorder: Recorder;
  openSecret: SecretOpener;
  openHeaders: HeadersOpener;
  settleDeps: SettleDeps;
  logger: Logger;
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: AttemptObserver;
  /** Keeps rate-limited endpoints to their limit (see RateGate); without it limits are not enforced. */
  rateLimiter?: RateLimiter;
  /** Gives deliveries a refill could not claim jobs for when they can go; else the reconciler finds them. */
  deferMissed?: (refs: DeliveryRef[]) => Promise<void>;
  now?: () => Date;
}

/**
 * The worker's in-process engine. Jobs hand it deliveries; it holds each endpoint to its concurrency
 * cap (see EndpointQueues), claims what may go in one statement per job or refill, and sends with at
 * most `concurrency` requests in flight: claim → build → send → decide → record → settle. A job is
 * done once its deliveries are claimed or waiting, so a slow endpoint never holds the job slots.
 */
export class DeliveryDispatcher {
  private readonly endpoints: EndpointQueues;
  private readonly gate?: RateGate;
  /** Endpoints whose circuit this process knows to be opening: what it claims for them goes back. */
  readonly holds = new EndpointHolds();
  private readonly held: HeldLeases;
  private active = 0;
  /** Attempts answered and still being recorded and settled. */
  private recording = 0;
  /** Deliveries of jobs let in by `room` and not yet taken. */
  private incoming = 0;
  private closed = false;
  /** Set by stopTaking: what is in hand is sent, nothing new is taken. */
  private draining = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => Date;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? (() => new Date());
    this.gate = deps.rateLimiter && new RateGate(deps.rateLimiter, () => this.pump(), deps.logger);
    this.endpoints = new EndpointQueues(this.gate);
    this.held = new HeldLeases(deps.preparedSql, this.leaseMs, deps.logger);
  }

  private get leaseMs(): number {
    return this.deps.config.delivery.jobLockMs;
  }

  private get limit(): number {
    return this.deps.config.delivery.concurrency;
  }

  /**
   * Resolves when the worker can take `count` more deliveries without hoarding work that other
   * worker processes could do sooner; they count as held until `take` has them. Resolves false,
   * holding nothing, once the worker is stopping (stopTaking).
   */
  async room(count: number): Promise<boolean> {
    while (!this.hasRoom() && !this.draining) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    if (this.draining) return false;
    this.incoming += count;
    return true;
  }

  /** Shutting down: jobs waiting for room stop waiting, to hand their deliveries back unsent (processor.ts). */
  stopTaking(): void {
    this.draining = true;
    this.roomWaiters.splice(0).forEach((resolve) => resolve());
  }

  /**
   * Takes a job's deliveries: those beyond their endpoint's share wait here; the others are claimed
   * and parked for sending. Returns the ones that were let through but could not be claimed.
   */
  async take(refs: DeliveryRef[]): Promise<DeliveryRef[]> {
    if (this.closed) throw new Error('the delivery dispatcher is closed');
    const admitted = this.endpoints.admit(refs);
    this.incoming = Math.max(0, this.incoming - refs.length);
    return this.claim(admitted);
  }

  /**
   * Takes deliveries leased to their job at publish (see src/core/queue/carriedClaim.ts) as if just
   * claimed, as far as their endpoints have room now; returns those taken. The caller gives the
   * others' leases back and claims them as usual, after these.
   */
  takeLeased(deliveries: DueDelivery[], renewAtMs: number): DueDelivery[] {
    if (this.closed) return [];
    // Once an endpoint turns one away (no room, or its circuit held), the rest of its go the claim's
    // way too, after it: a hold ending half-way through must not let a later one pass an earlier one.
    const refused = new Set<string>();
    const taken = deliveries.filter((d) => {
      const ok =
        !refused.has(d.webhook.id) && this.holds.heldUntil(d.webhook.id) === undefined && this.endpoints.admitLeased(d.webhook.id, d.webhook.maxConcurrency);
      if (!ok) refused.add(d.webhook.id);
      return ok;
    });
    this.incoming = Math.max(0, this.incoming - taken.length);
    this.held.holdLeasedAtPublish(
      taken.map((d) => d.id),
      renewAtMs,
    );
    for (const d of taken) this.endpoints.park(d);
    this.pump();
    return taken;
  }

  /** Claims reserved refs in one statement; returns those not claimed (their reservations are given back). */
  private async claim(refs: DeliveryRef[]): Promise<DeliveryRef[]> {
    if (!refs.length) return [];
    let claimed: DueDelivery[];
    try {
      claimed = await claimDeliveries(this.deps.preparedSql, refs, this.leaseMs);
    } catch (err) {
      for (const [, webhookId] of refs) this.endpoints.unreserve(webhookId);
      throw err;
    }
    const taken = new Set<string>();
    const heldBack: string[] = [];
    for (const d of claimed) {
      // Claimed as its endpoint's circuit was opening: released unsent and counted as missed, so
      // that the caller gives it a job for when the circuit lets it go (see `holds`).
      if (this.holds.heldUntil(d.webhook.id) !== undefined) heldBack.push(d.id);
      else {
        taken.add(d.id);
        this.held.hold(d.id);
        this.endpoints.park(d);
      }
    }
    const missed = refs.filter(([id]) => !taken.has(id));
    for (const [, webhookId] of missed) this.refill(webhookId, this.endpoints.unclaimed(webhookId));
    this.pump();
    await releaseLeases(this.deps.preparedSql, heldBack);
    return missed;
  }

  /**
   * Claims the heads of these ordered webhooks' lines that may go now (see claimLine.ts) and sends
   * them beside everything else: a line takes one slot at most, and what waits behind its head is
   * not held here at all. Once closed, the heads' jobs go back to the queue for other workers.
   */
  async wakeLines(webhookIds: string[]): Promise<void> {
    if (!this.closed) {
      const heads = await claimLineHeads(this.deps.sql, webhookIds, this.leaseMs);
      if (!this.closed) {
        for (const d of heads) {
          this.held.hold(d.id);
          this.endpoints.reserve(d.webhook.id);
          this.endpoints.park(d);
        }
        return this.pump();
      }
      // Closed while claiming: close() has handed back what was parked; these leases are let go too.
      await releaseLeases(
        this.deps.preparedSql,
        heads.map((d) => d.id),
      );
    }
    const jobs = await lineHeadJobs(this.deps.sql, { webhookIds });
    await Promise.all(jobs.map((job) => this.deps.settleDeps.scheduleAttempt(job)));
  }

  /** Claims the next waiting deliveries of an endpoint that has room for them again. */
  private refill(webhookId: string, refs: DeliveryRef[]): void {
    if (!refs.length) return;
    if (this.closed) {
      this.endpoints.refilled(webhookId);
      return;
    }
    // Settled or taken by another worker meanwhile: the next claim looks further down the line.
    void this.claim(refs)
      .then((missed) => this.deps.deferMissed?.(missed))
      .catch((err) => this.deps.logger.warn({ err }, 'claiming waiting deliveries failed; the reconciler will bring them back'))
      .finally(() => this.refill(webhookId, this.endpoints.refilled(webhookId)));
  }

  private pump(): void {
    while (this.active < this.limit) {
      const delivery = this.endpoints.nextSendable();
      if (!delivery) break;
      this.active++;
      void this.send(delivery)
        .then(
          // The endpoint's slot is free once it has answered; recording goes on beside the next sends.
          (sent) => this.track(this.recordAndSettle(delivery, sent)),
          (err) => {
            this.held.release(delivery.id);
            this.deps.logger.error({ err, deliveryId: delivery.id }, 'delivery attempt failed unexpectedly');
          },
        )
        .finally(() => {
          this.active--;
          this.refill(delivery.webhook.id, this.endpoints.sent(delivery.webhook.id, delivery.id));
          this.pump();
        });
    }
    this.wake();
  }

  private track(recording: Promise<void>): void {
    this.recording++;
    void recording.finally(() => {
      this.recording--;
      this.wake();
    });
  }

  private wake(): void {
    if (this.hasRoom()) this.roomWaiters.splice(0).forEach((resolve) => resolve());
    if (this.active === 0 && this.recording === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  private hasRoom(): boolean {
    return this.endpoints.backlog() + this.incoming < 2 * this.limit && this.recording < 4 * this.limit;
  }

  /** One HTTP attempt of one claimed delivery. */
  private async send(delivery: DueDelivery) {
    const { config, http, openSecret, openHeaders } = this.deps;
    const request = buildRequest(delivery, config.delivery, openSecret, this.now(), openHeaders);
    const result = await sendWebhook(request, http);
    return { request, result, at: this.now() };
  }

  /** The attempt's outcome, logged (in a batch with others) and settled; the lease ends with it. */
  private async recordAndSettle(delivery: DueDelivery, sent: Awaited<ReturnType<DeliveryDispatcher['send']>>): Promise<void> {
    const { request, result, at } = sent;
    try {
      const outcome = decideOutcome({
        result,
        attemptInSchedule: delivery.attemptCount + 1 - delivery.scheduleOffset,
        schedule: scheduleOf(delivery.webhook.retryPolicy, this.deps.config.delivery.retrySchedule),
        now: at,
      });
      this.deps.onAttempt?.(outcome.status, result.durationMs, result.failure?.kind ?? null);
      const attemptId = newId('DeliveryAttempt');
      // Written at once when something waits on it: an ordered line's next delivery, a failure's hold
      // on its endpoint, or this dispatcher's room (hasRoom) once a concurrency's worth is recording.
      const now = delivery.line === true || outcome.status !== 'SUCCEEDED' || this.recording >= this.limit;
      const recorded = await this.deps.recorder.record(
        {
          attemptId,
          deliveryId: delivery.id,
          webhookId: delivery.webhook.id,
          projectId: delivery.projectId,
          attemptNumber: delivery.attemptCount + 1,
          url: request.url,
          // Sensitive values go to the receiver only; the log keeps their hints.
          requestHeaders: loggedHeaders(delivery.webhook, request.headers),
          result,
          outcome,
          at,
        },
        { now },
      );
      if ('duplicate' in recorded) return;
      await settle(this.deps.settleDeps, delivery, outcome, { attemptId, failureStreak: recorded.failureStreak, circuit: recorded.circuit });
    } catch (err) {
      this.deps.logger.error({ err, deliveryId: delivery.id }, 'settling a delivery attempt failed');
    } finally {
      this.held.release(delivery.id);
      // The head of a line is settled (or waits for its retry): the next one may go, wake the line now.
      // Should this process die first, the reconciler gives the new head its job.
      if (delivery.line) {
        void this.wakeLines([delivery.webhook.id]).catch((err) =>
          this.deps.logger.warn({ err, webhookId: delivery.webhook.id }, 'waking an ordered line failed; the reconciler will'),
        );
      }
    }
  }

  /**
   * The endpoint's circuit is open (or opening): its deliveries claimed here and not yet sent are
   * released, and with those waiting for a slot get jobs for `untilMs` (no attempt spent); until
   * then what this process claims for it goes back too. Requests under way finish.
   */
  async hold(webhookId: string, untilMs: number): Promise<void> {
    const until = this.holds.hold(webhookId, untilMs);
    const { parked, waiting } = this.endpoints.evict(webhookId);
    await this.handBack(parked, waiting, Math.max(0, until - Date.now()));
    this.pump();
  }

  /** Releases claimed deliveries unsent and gives them, and waiting ones, jobs (the reconciler's if this fails). */
  private async handBack(parked: DueDelivery[], waiting: DeliveryRef[], delayMs = 0): Promise<void> {
    if (!parked.length && !waiting.length) return;
    for (const d of parked) this.held.release(d.id);
    const refs: DeliveryRef[] = [...parked.map((d): DeliveryRef => [d.id, d.webhook.id, d.attemptCount]), ...waiting];
    try {
      await releaseLeases(
        this.deps.preparedSql,
        parked.map((d) => d.id),
      );
      await Promise.all(
        refs.map(([deliveryId, webhookId, attemptCount]) => this.deps.settleDeps.scheduleAttempt({ deliveryId, webhookId, attemptCount, delayMs })),
      );
    } catch (err) {
      this.deps.logger.warn({ err, count: refs.length }, 'could not hand deliveries back; the reconciler will');
    }
  }

  /**
   * Stops taking work: claimed deliveries not yet sent are released and, with the ones waiting for a
   * slot, go back to the queue for other workers; in-flight ones finish and are recorded.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.gate?.close();
    const { parked: unsent, waiting } = this.endpoints.takeAll();
    await this.handBack(unsent, waiting);
    this.wake();
    if (this.active > 0 || this.recording > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.deps.recorder.drain();
    await this.held.close();
  }
}
