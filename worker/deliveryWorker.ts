import { Worker } from 'bullmq';
import type { CoreDeps } from '../src/core/deps.ts';
import { WAKEUP_QUEUE_NAME, type Wakeup } from '../src/core/queue/wakeups.ts';
import { createRedis } from '../src/core/redis.ts';
import { createAttempts } from './attempt.ts';
import { createCircuitBreaker } from './circuitBreaker.ts';
import { createGuardedAgent, type Resolver } from './guardedDispatcher.ts';
import { HeldLeases } from './heldLeases.ts';
import { DeliveryPump } from './pump.ts';
import { createRateLimiter } from './rateLimiter.ts';
import { createRecorder } from './recorder.ts';
import { startRetention } from './retention.ts';
import { createSealedHeadersCache, createSecretCache } from './secretCache.ts';
import { startSweep } from './sweep.ts';

export interface DeliveryWorker {
  /** Stops taking work, lets in-flight deliveries finish and be recorded, then closes connections. */
  close(): Promise<void>;
}

/** Wake-ups handled at once: each only adds endpoints to the pump's list, so a few keep up with any rate. */
const WAKEUP_CONCURRENCY = 4;

/**
 * A delivery worker: the pump (pump.ts) with what it needs, built in order. Postgres is the schedule
 * (the sweep reads it); BullMQ carries wake-ups, so a publish reaches a worker at once instead of at
 * its next look.
 */
export function createDeliveryWorker(deps: CoreDeps, opts: { resolver?: Resolver } = {}): DeliveryWorker {
  const { config, logger } = deps;
  const { leaseMs } = config.delivery;
  const http = createGuardedAgent({
    allowedNetworks: config.security.allowedNetworks,
    resolver: opts.resolver,
    connections: config.delivery.concurrency,
    localAddress: config.security.sourceAddress,
  });
  const circuit = createCircuitBreaker({ ...deps, settings: config.delivery.circuit, leaseMs });
  const recorder = createRecorder({ ...deps, sql: deps.preparedSql });
  const attempts = createAttempts({
    config,
    http,
    recorder,
    openSecret: createSecretCache(deps.secretBox),
    openHeaders: createSealedHeadersCache(deps.secretBox),
    settleDeps: { ...deps, circuit },
    onAttempt: deps.metrics.observeAttempt,
  });
  const leases = new HeldLeases(deps.preparedSql, leaseMs, logger);
  const share = (wakeup: Wakeup) =>
    void deps.queue.wake(wakeup).catch((err) => logger.warn({ err }, 'could not pass work on to other workers; their sweep finds it'));
  const pump = new DeliveryPump({
    preparedSql: deps.preparedSql,
    sql: deps.sql,
    attempts,
    leases,
    rateLimiter: createRateLimiter(deps.redis, config.redisPrefix, config.delivery.rateLimitHeadroomMs),
    limit: config.delivery.concurrency,
    leaseMs,
    logger,
    share,
    onClaim: deps.metrics.observeClaim,
  });
  const sweep = startSweep({
    sql: deps.sql,
    circuit,
    logger,
    everyMs: config.delivery.pollIntervalMs,
    onDue: (wakeup) => pump.want(wakeup),
    onLook: deps.metrics.observeSweep,
  });
  const connection = createRedis(config.redis, logger);
  const wakeups = new Worker<Wakeup>(WAKEUP_QUEUE_NAME, async (job) => pump.want(job.data), {
    connection,
    prefix: config.redisPrefix,
    concurrency: WAKEUP_CONCURRENCY,
  });
  wakeups.on('error', (err) => logger.error({ err }, 'wake-up queue error; the sweep goes on'));
  const retention = startRetention(deps, config.operations);
  logger.info({ concurrency: config.delivery.concurrency }, 'delivery worker started');
  return {
    async close() {
      await Promise.all([sweep.stop(), retention.stop(), wakeups.close()]);
      await pump.stop();
      await recorder.drain();
      leases.close();
      await http.close();
      await connection.quit().catch(() => {});
    },
  };
}
