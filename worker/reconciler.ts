import type { Logger } from 'pino';
import type { Db } from '../src/core/db/client.ts';
import type { Metrics } from '../src/core/metrics.ts';
import type { DeliveryQueue } from '../src/core/queue/deliveryQueue.ts';
import { requeueOpenDeliveries } from '../src/core/queue/requeue.ts';

export interface Reconciler {
  stop(): Promise<void>;
}

/**
 * Postgres is the source of truth; Redis may forget (a restart without persistence, a FLUSHALL, a
 * job BullMQ gave up on). On start and then every interval, every open delivery of an active
 * webhook gets its job back; deliveries that still have one are left alone (job id = delivery id).
 */
export function startReconciler(
  deps: { db: Db; queue: DeliveryQueue; logger: Logger; metrics?: Pick<Metrics, 'reconcilerRequeued'> },
  intervalMs: number,
): Reconciler {
  // Counts the deliveries that really had lost their job, not those merely offered again.
  const counting = {
    async enqueue(deliveries: { id: string; delayMs?: number }[]) {
      if (deps.metrics) deps.metrics.reconcilerRequeued((await deps.queue.withoutJob(deliveries.map((d) => d.id))).length);
      await deps.queue.enqueue(deliveries);
    },
  };
  let running: Promise<number> | undefined;
  const runOnce = () => {
    running ??= requeueOpenDeliveries(deps.db, counting, { webhook: { active: true } })
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
