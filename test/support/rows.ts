import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/core/db/client.ts';
import { idFloor } from '../../src/core/idTime.ts';
import type { IdType } from '../../src/core/ids.ts';

/** An id of `type` as `newId` would have made it at `at`: for rows back-dated on purpose. */
export function idAt(type: IdType, at: Date): string {
  return idFloor(type, at).slice(0, -20) + randomBytes(10).toString('hex');
}

export interface AttemptRow {
  deliveryId: string;
  attemptNumber: number;
  at: Date;
  durationMs: number;
  responseStatus: number | null;
  succeeded?: boolean;
}

/** An attempt written straight to the database at a chosen time (the trigger fills webhook and project). */
export async function insertAttempt(db: Db, a: AttemptRow): Promise<string> {
  const id = idAt('DeliveryAttempt', a.at);
  const succeeded = a.succeeded ?? (a.responseStatus !== null && a.responseStatus >= 200 && a.responseStatus < 300);
  await db.deliveryAttempt.create({
    data: {
      id,
      deliveryId: a.deliveryId,
      attemptNumber: a.attemptNumber,
      url: 'http://127.0.0.1:9/hook',
      requestHeaders: { 'content-type': 'application/json' },
      responseStatus: a.responseStatus,
      responseBody: a.responseStatus === null ? null : 'body',
      durationMs: a.durationMs,
      error: a.responseStatus === null ? 'ECONNREFUSED: connect ECONNREFUSED' : null,
      succeeded,
      createdAt: a.at,
    },
  });
  return id;
}

/** percentile_cont as Postgres computes it: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export const minutesAgo = (minutes: number, now = Date.now()) => new Date(now - minutes * 60_000);
