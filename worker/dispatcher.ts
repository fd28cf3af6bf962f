import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config } from '../src/core/config.ts';
import type { AttemptObserver } from '../src/core/metrics.ts';
import type { Sql } from '../src/core/db/sql.ts';
import { decideOutcome } from '../src/core/delivery/outcome.ts';
import { scheduleOf } from '../src/core/delivery/retryPolicy.ts';
import { newId } from '../src/core/ids.ts';
import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { EndpointQueues } from './endpointQueues.ts';
import { sendWebhook } from './httpSender.ts';
import type { Recorder } from './recorder.ts';
import { buildRequest, type HeadersOpener, loggedHeaders, type SecretOpener } from './stages/build.ts';
import { claimDeliveries, type DueDelivery, renewLeases } from './stages/claim.ts';
import { claimLineHeads } from './stages/claimLine.ts';
import { lineHeadJobs } from '../src/core/queue/lineHeads.ts';
import { settle, type SettleDeps } from './stages/settle.ts';

export interface DispatcherDeps {
  config: Config;
  sql: Sql;
  http: HttpDispatcher;
  recorder: Recorder;
  openSecret: SecretOpener;
  openHeaders: HeadersOpener;
  settleDeps: SettleDeps;
  logger: Logger;
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: AttemptObserver;
  now?: () => Date;
}

/**
 * The worker's in-process engine. Jobs hand it deliveries; it holds each endpoint to its concurrency
 * cap (see EndpointQueues), claims what may go in one statement per job or refill, and sends with at
 * most `concurrency` requests in flight: claim → build → send → decide → record → settle. A job is
 * done once its deliveries are claimed or waiting, so a slow endpoint never holds the job slots.
 */
export class DeliveryDispatcher {
  private readonly endpoints = new EndpointQueues();
  /** Deliveries this process holds a lease on, from claim until their attempt is recorded. */
  private readonly held = new Set<string>();
  private readonly renewal: NodeJS.Timeout;
  private active = 0;
  /** Attempts answered and still being recorded and settled. */
  private recording = 0;
  /** Deliveries of jobs let in by `room` and not yet taken. */
  private incoming = 0;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => Date;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? (() => new Date());
    // Leases last one job lock and are renewed three times within it, so a killed worker's deliveries
    // are taken over about as soon as BullMQ would bring back its stalled jobs.
    this.renewal = setInterval(() => {
      renewLeases(deps.sql, [...this.held], this.leaseMs).catch((err) => deps.logger.warn({ err }, 'renewing delivery leases failed'));
    }, this.leaseMs / 3);
    this.renewal.unref();
  }

  private get leaseMs(): number {
    return this.deps.config.delivery.jobLockMs;
  }

  private get limit(): number {
    return this.deps.config.delivery.concurrency;
  }

  /**
   * Resolves when the worker can take `count` more deliveries without hoarding work that other
   * worker processes could do sooner; they count as held until `take` has them.
   */
  async room(count: number): Promise<void> {
    while (!this.hasRoom()) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    this.incoming += count;
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

  /** Claims reserved refs in one statement; returns those not claimed (their reservations are given back). */
  private async claim(refs: DeliveryRef[]): Promise<DeliveryRef[]> {
    if (!refs.length) return [];
    let claimed: DueDelivery[];
    try {
      claimed = await claimDeliveries(this.deps.sql, refs, this.leaseMs);
    } catch (err) {
      for (const [, webhookId] of refs) this.endpoints.unreserve(webhookId);
      throw err;
    }
    for (const d of claimed) {
      this.held.add(d.id);
      this.endpoints.park(d);
    }
    const taken = new Set(claimed.map((d) => d.id));
    const missed = refs.filter(([id]) => !taken.has(id));
    for (const [, webhookId] of missed) this.endpoints.unreserve(webhookId);
    this.pump();
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
          this.held.add(d.id);
          this.endpoints.reserve(d.webhook.id);
          this.endpoints.park(d);
        }
        return this.pump();
      }
      // Closed while claiming: close() has handed back what was parked; these leases are let go too.
      if (heads.length) await this.deps.sql.query('UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::text[])', [heads.map((d) => d.id)]);
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
            this.held.delete(delivery.id);
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
      const recorded = await this.deps.recorder.record({
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
      });
      if ('duplicate' in recorded) return;
      await settle(this.deps.settleDeps, delivery, outcome, { attemptId, failureStreak: recorded.failureStreak });
    } catch (err) {
      this.deps.logger.error({ err, deliveryId: delivery.id }, 'settling a delivery attempt failed');
    } finally {
      this.held.delete(delivery.id);
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
   * Stops taking work: claimed deliveries not yet sent are released and, with the ones waiting for a
   * slot, go back to the queue for other workers; in-flight ones finish and are recorded.
   */
  async close(): Promise<void> {
    this.closed = true;
    const { parked: unsent, waiting } = this.endpoints.takeAll();
    for (const d of unsent) this.held.delete(d.id);
    const handBack: DeliveryRef[] = [...unsent.map((d): DeliveryRef => [d.id, d.webhook.id, d.attemptCount]), ...waiting];
    try {
      if (unsent.length) await this.deps.sql.query('UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::text[])', [unsent.map((d) => d.id)]);
      await Promise.all(handBack.map(([deliveryId, webhookId, attemptCount]) => this.deps.settleDeps.scheduleAttempt({ deliveryId, webhookId, attemptCount })));
    } catch (err) {
      this.deps.logger.warn({ err, count: handBack.length }, 'could not hand deliveries back; the reconciler will');
    }
    this.wake();
    if (this.active > 0 || this.recording > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.deps.recorder.drain();
    clearInterval(this.renewal);
  }
}
