import { Worker } from 'bullmq';
import { createBatcher } from '../src/core/batcher.ts';
import { publishLeaseMs } from '../src/core/queue/carriedClaim.ts';
import type { CoreDeps } from '../src/core/deps.ts';
import { DELIVERY_QUEUE_NAME, type AttemptJob, type DeliveryJobData, type DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { createRedis } from '../src/core/redis.ts';
import { createCircuitBreaker } from './circuitBreaker.ts';
import { createDeferral } from './deferral.ts';
import { DeliveryDispatcher } from './dispatcher.ts';
import { createGuardedAgent, type Resolver } from './guardedDispatcher.ts';
import { createDeliveryProcessor } from './processor.ts';
import { releaseCarried } from './stages/carried.ts';
import { startReconciler } from './reconciler.ts';
import { createRateLimiter } from './rateLimiter.ts';
import { createRecorder } from './recorder.ts';
import { createSealedHeadersCache, createSecretCache } from './secretCache.ts';
import { startRetention } from './retention.ts';

export interface DeliveryWorker {
  worker: Worker<DeliveryJobData>;
  /** Stops taking jobs, lets in-flight deliveries finish and be recorded, then closes connections. */
  close(): Promise<void>;
}

/**
 * Jobs only hand deliveries over, so two at a time keep the dispatcher fed; a job BullMQ hands a
 * process is that process's, so fewer in hand leaves more for the other worker processes. Eight
 * cut a job's wait for a slot at 500 events/s from 7–11 to 3–5 ms, but one process then took every
 * job of a burst, waiting for room to send them, while a second process sat idle.
 */
const JOB_CONCURRENCY = 2;

export function createDeliveryWorker(deps: CoreDeps, opts: { resolver?: Resolver } = {}): DeliveryWorker {
  const { config, logger } = deps;
  const http = createGuardedAgent({
    allowedNetworks: config.security.allowedNetworks,
    resolver: opts.resolver,
    connections: config.delivery.concurrency,
  });
  const retries = createBatcher(
    async (jobs: AttemptJob[]) => {
      await deps.queue.enqueueAttempts(jobs);
      return jobs.map(() => undefined);
    },
    { maxBatch: 500 },
  );
  const scheduleAttempt = (job: AttemptJob) => retries.submit(job);
  const scheduleAttempts = (jobs: AttemptJob[]) => Promise.all(jobs.map(scheduleAttempt)).then(() => {});
  const recorder = createRecorder({ ...deps, sql: deps.preparedSql });
  // The breaker and the dispatcher know each other: an opening circuit has the dispatcher give back
  // the endpoint's deliveries; the dispatcher's attempts move the circuit.
  let dispatcher: DeliveryDispatcher | undefined;
  const circuit = createCircuitBreaker({
    ...deps,
    settings: config.delivery.circuit,
    leaseMs: config.delivery.jobLockMs,
    onHold: (webhookId, untilMs) => void dispatcher?.hold(webhookId, untilMs),
    onRelease: (webhookId) => dispatcher?.holds.release(webhookId),
  });
  const takeProbe = (ref: DeliveryRef) => {
    dispatcher!.holds.release(ref[1]);
    return dispatcher!.take([ref]);
  };
  const laterOf = createDeferral({
    sql: deps.preparedSql,
    circuit,
    takeProbe,
    holdsUntil: (webhookId) => dispatcher!.holds.heldUntil(webhookId),
    wakeLines: (webhookIds) => dispatcher!.wakeLines(webhookIds),
  });
  dispatcher = new DeliveryDispatcher({
    config,
    sql: deps.sql,
    preparedSql: deps.preparedSql,
    http,
    recorder,
    openSecret: createSecretCache(deps.secretBox),
    openHeaders: createSealedHeadersCache(deps.secretBox),
    settleDeps: { ...deps, disableAfterFailures: config.delivery.disableAfterFailures, scheduleAttempt, circuit },
    logger,
    onAttempt: deps.metrics.observeAttempt,
    rateLimiter: createRateLimiter(deps.redis, config.redisPrefix, config.delivery.rateLimitHeadroomMs),
    deferMissed: async (refs) => {
      const later = await laterOf(refs);
      await scheduleAttempts(
        later.map(({ ref: [deliveryId, webhookId, attemptCount], untilMs }) => ({ deliveryId, webhookId, attemptCount, delayMs: untilMs - Date.now() })),
      );
    },
  });
  const processor = createDeliveryProcessor({
    dispatcher,
    laterOf,
    scheduleAttempts,
    releaseCarried: (claim, ids) =>
      releaseCarried(deps.preparedSql, claim, ids).catch((err) =>
        logger.warn({ err, count: ids.length }, 'giving back leases taken at publish failed; they run out by themselves'),
      ),
  });
  const connection = createRedis(config.redisUrl, logger);
  const worker = new Worker<DeliveryJobData>(DELIVERY_QUEUE_NAME, processor, {
    connection,
    prefix: config.redisPrefix,
    concurrency: JOB_CONCURRENCY,
    lockDuration: config.delivery.jobLockMs,
    stalledInterval: config.delivery.jobLockMs,
    // A killed worker's job comes back this many times before BullMQ gives up on it; the
    // reconciler re-enqueues from Postgres even then.
    maxStalledCount: 5,
    settings: {
      // A job fails only on our side (Postgres unreachable, say): back off from 1 s to a minute.
      backoffStrategy: (attemptsMade) => Math.min(60_000, 1000 * 2 ** Math.min(attemptsMade, 6)),
    },
  });
  worker.on('error', (err) => logger.error({ err }, 'delivery worker error'));
  worker.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'delivery job failed; it will be retried'));
  const reconciler = startReconciler(deps, config.delivery.reconcileIntervalMs, publishLeaseMs(config.delivery.jobLockMs));
  const retention = startRetention(deps, config.operations);
  logger.info({ concurrency: config.delivery.concurrency }, 'delivery worker started');
  return {
    worker,
    async close() {
      await Promise.all([reconciler.stop(), retention.stop()]);
      // Jobs BullMQ has handed over but the dispatcher has no room for yet go back, not wait for it.
      dispatcher!.stopTaking();
      await worker.close();
      await dispatcher!.close();
      await retries.drain();
      await http.close();
      await connection.quit().catch(() => {});
    },
  };
}
