import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config } from '../src/core/config.ts';
import type { Sql } from '../src/core/db/sql.ts';
import { decideOutcome } from '../src/core/delivery/outcome.ts';
import { scheduleOf } from '../src/core/delivery/retryPolicy.ts';
import { newId } from '../src/core/ids.ts';
import type { DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { EndpointGates } from './endpointGates.ts';
import { sendWebhook } from './httpSender.ts';
import type { Recorder } from './recorder.ts';
import { buildRequest, type SecretOpener } from './stages/build.ts';
import { claimDeliveries, type DueDelivery, renewLeases } from './stages/claim.ts';
import { settle, type SettleDeps } from './stages/settle.ts';

export interface DispatcherDeps {
  config: Config;
  sql: Sql;
  http: HttpDispatcher;
  recorder: Recorder;
  openSecret: SecretOpener;
  settleDeps: SettleDeps;
  logger: Logger;
  now?: () => Date;
}

/**
 * The worker's in-process engine. Jobs hand it deliveries; it holds each endpoint to its concurrency
 * cap (the rest wait, unclaimed), claims what may go, and sends with at most `concurrency` requests
 * in flight: claim → build → send → decide → record → settle. A job is done once its deliveries are
 * claimed or waiting, so a slow endpoint never holds the worker's job slots.
 */
export class DeliveryDispatcher {
  private readonly gates = new EndpointGates();
  private readonly ready: DueDelivery[] = [];
  /** Deliveries this process holds a lease on, from claim until their attempt is recorded. */
  private readonly held = new Set<string>();
  private readonly renewal: NodeJS.Timeout;
  private active = 0;
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

  /** Resolves when the worker can take more work without piling up claimed deliveries. */
  room(): Promise<void> {
    if (this.ready.length < this.limit) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Takes a job's deliveries: those over their endpoint's cap wait here; the others are claimed and
   * queued for sending. Returns the ones that were let through but could not be claimed.
   */
  async take(refs: DeliveryRef[]): Promise<DeliveryRef[]> {
    if (this.closed) throw new Error('the delivery dispatcher is closed');
    const admitted = this.gates.admit(refs);
    const claimed = await this.claim(admitted);
    const taken = new Set(claimed.map((d) => d.id));
    const missed = admitted.filter(([id]) => !taken.has(id));
    for (const [, webhookId] of missed) this.releaseSlot(webhookId);
    return missed;
  }

  private async claim(refs: DeliveryRef[]): Promise<DueDelivery[]> {
    let claimed: DueDelivery[];
    try {
      claimed = await claimDeliveries(this.deps.sql, refs, this.leaseMs);
    } catch (err) {
      for (const [, webhookId] of refs) this.releaseSlot(webhookId);
      throw err;
    }
    for (const d of claimed) {
      this.held.add(d.id);
      this.gates.learnCap(d.webhook.id, d.webhook.maxConcurrency);
      this.ready.push(d);
    }
    this.pump();
    return claimed;
  }

  /** A slot came free: deliveries that waited for it are claimed now. */
  private releaseSlot(webhookId: string): void {
    const next = this.gates.release(webhookId);
    if (!next.length || this.closed) return;
    void this.claim(next)
      .then((claimed) => {
        const taken = new Set(claimed.map((d) => d.id));
        // Settled or taken by another worker meanwhile: their slots go to the next in line.
        for (const [id, webhookId] of next) if (!taken.has(id)) this.releaseSlot(webhookId);
      })
      .catch((err) => this.deps.logger.warn({ err }, 'claiming waiting deliveries failed; the reconciler will bring them back'));
  }

  private pump(): void {
    while (this.active < this.limit && this.ready.length) {
      const delivery = this.ready.shift()!;
      this.active++;
      void this.attempt(delivery)
        .catch((err) => this.deps.logger.error({ err, deliveryId: delivery.id }, 'delivery attempt failed unexpectedly'))
        .finally(() => {
          this.held.delete(delivery.id);
          this.active--;
          this.releaseSlot(delivery.webhook.id);
          this.pump();
          this.wake();
        });
    }
    this.wake();
  }

  private wake(): void {
    if (this.ready.length < this.limit) this.roomWaiters.splice(0).forEach((resolve) => resolve());
    if (this.active === 0 && this.ready.length === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  /** One HTTP attempt of one claimed delivery, logged and settled. */
  private async attempt(delivery: DueDelivery): Promise<void> {
    const { config, http, recorder, openSecret } = this.deps;
    const request = buildRequest(delivery, config.delivery, openSecret, this.now());
    const result = await sendWebhook(request, http);
    const at = this.now();
    const outcome = decideOutcome({
      result,
      attemptInSchedule: delivery.attemptCount + 1 - delivery.scheduleOffset,
      schedule: scheduleOf(delivery.webhook.retryPolicy, config.delivery.retrySchedule),
      now: at,
    });
    const attemptId = newId('DeliveryAttempt');
    const recorded = await recorder.record({
      attemptId,
      deliveryId: delivery.id,
      webhookId: delivery.webhook.id,
      attemptNumber: delivery.attemptCount + 1,
      url: request.url,
      requestHeaders: request.headers,
      result,
      outcome,
      at,
    });
    if ('duplicate' in recorded) return;
    await settle(this.deps.settleDeps, delivery, outcome, { attemptId, failureStreak: recorded.failureStreak });
  }

  /**
   * Stops taking work: claimed deliveries not yet sent are released and, with the ones waiting for a
   * slot, go back to the queue for other workers; in-flight ones finish and are recorded.
   */
  async close(): Promise<void> {
    this.closed = true;
    const unsent = this.ready.splice(0);
    for (const d of unsent) this.held.delete(d.id);
    const handBack: DeliveryRef[] = [...unsent.map((d): DeliveryRef => [d.id, d.webhook.id, d.attemptCount]), ...this.gates.takeWaiting()];
    try {
      if (unsent.length) await this.deps.sql.query('UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::text[])', [unsent.map((d) => d.id)]);
      await Promise.all(handBack.map(([deliveryId, webhookId, attemptCount]) => this.deps.settleDeps.scheduleAttempt({ deliveryId, webhookId, attemptCount })));
    } catch (err) {
      this.deps.logger.warn({ err, count: handBack.length }, 'could not hand deliveries back; the reconciler will');
    }
    this.wake();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.deps.recorder.drain();
    clearInterval(this.renewal);
  }
}
