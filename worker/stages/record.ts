import type { Db } from '../../src/core/db/client.ts';
import { isPrismaError } from '../../src/core/db/errors.ts';
import type { Outcome } from '../../src/core/delivery/outcome.ts';
import { attemptError, type SendResult } from '../../src/core/delivery/sendResult.ts';
import type { Prisma } from '../../src/generated/prisma/client.ts';
import { newId } from '../../src/core/ids.ts';

export interface AttemptRecord {
  deliveryId: string;
  webhookId: string;
  url: string;
  attemptNumber: number;
  requestHeaders: Record<string, string>;
  result: SendResult;
  outcome: Outcome;
  now: Date;
}

/** What recording left behind: the attempt's id and the webhook's failure streak (0 after a success). */
export type Recorded = { attemptId: string; failureStreak: number } | { duplicate: true };

/**
 * The attempt, the delivery's new state and the webhook's failure streak land together or not at
 * all. Another run of the same job (a stalled one brought back) may have logged this attempt number
 * first: then nothing is written and `duplicate` says so.
 */
export async function recordAttempt(db: Db, r: AttemptRecord): Promise<Recorded> {
  const attemptId = newId('DeliveryAttempt');
  const succeeded = r.outcome.status === 'SUCCEEDED';
  const nextAttemptAt = r.outcome.status === 'RETRYING' ? new Date(r.now.getTime() + r.outcome.delayMs) : null;
  const writes = [
    db.deliveryAttempt.create({
      data: {
        id: attemptId,
        deliveryId: r.deliveryId,
        attemptNumber: r.attemptNumber,
        url: r.url,
        requestHeaders: r.requestHeaders,
        responseStatus: r.result.status,
        responseHeaders: (r.result.headers ?? undefined) as Prisma.InputJsonObject | undefined,
        responseBody: r.result.body,
        durationMs: r.result.durationMs,
        error: attemptError(r.result),
        succeeded,
      },
    }),
    db.delivery.update({
      where: { id: r.deliveryId },
      data: { attemptCount: r.attemptNumber, status: r.outcome.status, nextAttemptAt },
    }),
  ] as const;
  try {
    if (succeeded) {
      // Only touch the webhook row when there is a streak to reset: it is hot under load.
      await db.$transaction([
        ...writes,
        db.webhook.updateMany({ where: { id: r.webhookId, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0 } }),
      ]);
      return { attemptId, failureStreak: 0 };
    }
    const [, , webhook] = await db.$transaction([
      ...writes,
      db.webhook.update({ where: { id: r.webhookId }, data: { consecutiveFailures: { increment: 1 } }, select: { consecutiveFailures: true } }),
    ]);
    return { attemptId, failureStreak: webhook.consecutiveFailures };
  } catch (err) {
    if (isPrismaError(err, 'P2002')) return { duplicate: true };
    throw err;
  }
}
