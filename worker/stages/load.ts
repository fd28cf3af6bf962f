import type { Db } from '../../src/core/db/client.ts';
import type { EventEnvelope } from '../../src/core/delivery/request.ts';
import type { RetryPolicy } from '../../src/core/delivery/retryPolicy.ts';

/** What the worker needs to attempt one delivery: the delivery's state, its event and its webhook. */
export interface DueDelivery {
  id: string;
  projectId: string;
  attemptCount: number;
  scheduleOffset: number;
  event: EventEnvelope;
  webhook: {
    id: string;
    projectId: string;
    url: string;
    headers: Record<string, string>;
    timeoutSeconds: number;
    retryPolicy: RetryPolicy | null;
    secretCiphertext: string;
    secretKeyId: string;
    previousSecretCiphertext: string | null;
    previousSecretKeyId: string | null;
    previousSecretExpiresAt: Date | null;
  };
}

export type LoadResult =
  | { kind: 'due'; delivery: DueDelivery }
  /** Deleted with its webhook, settled by an earlier run, or held while its webhook is disabled. */
  | { kind: 'skip' }
  /** A job run before its retry slot (after a crash, or re-added without its delay). */
  | { kind: 'early'; dueAt: number };

/** Loads a delivery and says whether it is due for an attempt now. */
export async function loadDelivery(db: Db, id: string, now: Date): Promise<LoadResult> {
  const row = await db.delivery.findUnique({ where: { id }, include: { event: true, webhook: true } });
  if (!row || row.status === 'SUCCEEDED' || row.status === 'FAILED' || !row.webhook.active) return { kind: 'skip' };
  const dueAt = row.nextAttemptAt?.getTime() ?? 0;
  if (row.status === 'RETRYING' && dueAt > now.getTime() + 1000) return { kind: 'early', dueAt };
  const { event, webhook } = row;
  return {
    kind: 'due',
    delivery: {
      id: row.id,
      projectId: row.projectId,
      attemptCount: row.attemptCount,
      scheduleOffset: row.scheduleOffset,
      event: { id: event.id, type: event.type, timestamp: event.timestamp, projectId: event.projectId, data: event.data },
      webhook: {
        ...webhook,
        headers: webhook.headers as Record<string, string>,
        retryPolicy: webhook.retryPolicy as RetryPolicy | null,
      },
    },
  };
}
