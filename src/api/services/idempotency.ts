import { prepared, type Sql } from '../../core/db/sql.ts';
import type { EventRow, NewEvent } from './publishPlan.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/** An idempotency key is unique per project. */
export const keyOf = (projectId: string, idempotencyKey: string | null | undefined) => `${projectId}\u0000${idempotencyKey}`;

/** An event published earlier under a key, with its delivery count. */
export type Earlier = { event: EventRow; deliveryCount: number };

// A key older than the window may be used again: release it from the old event first.
const RELEASE_OLD_KEYS = prepared(
  'hookpost.releaseOldKeys',
  `UPDATE events SET idempotency_key = NULL
    WHERE (project_id, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      AND timestamp <= now()::timestamp - interval '${IDEMPOTENCY_WINDOW_MS / 1000} seconds'`,
);
const EARLIER_EVENTS = prepared(
  'hookpost.earlierEvents',
  `SELECT e.id, e.project_id, e.tenant_id, e.type, e.data, e.timestamp, e.idempotency_key, e.data_purged_at,
          (SELECT count(*)::int FROM deliveries d WHERE d.event_id = e.id) AS n
     FROM events e
    WHERE (e.project_id, e.idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
);

type EarlierRow = Omit<EventRow, 'projectId' | 'tenantId' | 'idempotencyKey' | 'dataPurgedAt'> & {
  project_id: string;
  tenant_id: string | null;
  idempotency_key: string;
  data_purged_at: Date | null;
  n: number;
};

/** Events already published under these events' keys within the window, by key (see keyOf). */
export async function earlierEvents(sql: Sql, events: NewEvent[]): Promise<Map<string, Earlier>> {
  const keyed = events.filter((e) => e.idempotencyKey);
  if (!keyed.length) return new Map();
  const params = [keyed.map((e) => e.projectId), keyed.map((e) => e.idempotencyKey)];
  await sql.query(RELEASE_OLD_KEYS(params));
  const { rows } = await sql.query<EarlierRow>(EARLIER_EVENTS(params));
  return new Map(
    rows.map((r) => [
      keyOf(r.project_id, r.idempotency_key),
      {
        event: {
          id: r.id,
          projectId: r.project_id,
          tenantId: r.tenant_id,
          type: r.type,
          data: r.data,
          timestamp: r.timestamp,
          idempotencyKey: r.idempotency_key,
          dataPurgedAt: r.data_purged_at,
        },
        deliveryCount: r.n,
      },
    ]),
  );
}
