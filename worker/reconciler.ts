import type { Logger } from 'pino';
import type { Sql } from '../src/core/db/sql.ts';
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
export function startReconciler(deps: { sql: Sql; queue: DeliveryQueue; logger: Logger }, intervalMs: number): Reconciler {
  let running: Promise<number> | undefined;
  const runOnce = () => {
    running ??= requeueOpenDeliveries(deps.sql, deps.queue, { idleForMs: Math.min(intervalMs, 30_000) })
      .catch((err) => {
        deps.logger.error({ err }, 'reconcile failed; trying again next interval');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void runOnce();
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
