import type { Logger } from 'pino';
import type { Sql } from '../src/core/db/sql.ts';
import type { Metrics } from '../src/core/metrics.ts';
import type { DeliveryQueue } from '../src/core/queue/deliveryQueue.ts';
import { requeueOpenDeliveries } from '../src/core/queue/requeue.ts';

export interface Reconciler {
  stop(): Promise<void>;
}

/**
 * Postgres is the source of truth; Redis may forget (a restart without persistence, a FLUSHALL, a
 * job BullMQ gave up on, a worker killed with deliveries claimed or waiting). On start and then every
 * interval, every open delivery of an active webhook that no live lease holds and that has been idle
 * for a while (fresh ones are in their publish job) gets a job for its next attempt; job ids name the
 * delivery and attempt, and claims are leased, so nothing is sent twice.
 */
export function startReconciler(
  deps: { sql: Sql; queue: DeliveryQueue; logger: Logger; metrics?: Pick<Metrics, 'reconcilerRequeued'> },
  intervalMs: number,
  /** How long a publish leases its deliveries for (src/core/queue/carriedClaim.ts). */
  publishLeaseMs = 0,
): Reconciler {
  // Counts the deliveries that really had lost their job, not those merely offered again.
  const counting: Pick<DeliveryQueue, 'enqueueAttempts'> = {
    async enqueueAttempts(jobs) {
      if (deps.metrics) deps.metrics.reconcilerRequeued((await deps.queue.withoutJob(jobs)).length);
      await deps.queue.enqueueAttempts(jobs);
    },
  };
  let running: Promise<number> | undefined;
  // On start every open delivery counts (the jobs may be gone with Redis); later runs leave alone
  // what is fresh, since it is still in its publish job.
  const runOnce = (idleForMs?: number) => {
    running ??= requeueOpenDeliveries(deps.sql, counting, { idleForMs })
      .catch((err) => {
        deps.logger.error({ err }, 'reconcile failed; trying again next interval');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const starting = runOnce();
  // A publish leases its deliveries for a few seconds: those whose job Redis lost just before this
  // start are passed over above and free once that lease ends, so the start's look is taken again
  // then (after the first, should that take longer).
  let stopped = false;
  const again = setTimeout(
    () =>
      void starting.then(() => {
        if (!stopped) void runOnce();
      }),
    publishLeaseMs + 500,
  );
  again.unref();
  const timer = setInterval(() => void runOnce(Math.min(intervalMs, 30_000)), intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(again);
      clearInterval(timer);
      await running;
    },
  };
}
