import type { Db } from '../db/client.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { DeliveryQueue } from './deliveryQueue.ts';

const BATCH = 500;

/**
 * Enqueues every open (PENDING or RETRYING) delivery matching `where`, in id (= event) order, a batch
 * at a time. A RETRYING one keeps its scheduled time. Job ids are delivery ids, so a delivery that
 * already has a job is left as it is: running this twice, or beside live traffic, is harmless.
 */
export async function requeueOpenDeliveries(
  db: Db,
  queue: Pick<DeliveryQueue, 'enqueue'>,
  where: Prisma.DeliveryWhereInput,
  now: () => number = Date.now,
): Promise<number> {
  let cursor: string | undefined;
  let total = 0;
  for (;;) {
    const batch = await db.delivery.findMany({
      where: { ...where, status: { in: ['PENDING', 'RETRYING'] }, ...(cursor ? { id: { gt: cursor } } : {}) },
      select: { id: true, nextAttemptAt: true },
      orderBy: { id: 'asc' },
      take: BATCH,
    });
    if (batch.length === 0) return total;
    await queue.enqueue(batch.map((d) => ({ id: d.id, delayMs: d.nextAttemptAt ? d.nextAttemptAt.getTime() - now() : 0 })));
    total += batch.length;
    cursor = batch[batch.length - 1].id;
  }
}
