import { prepared, type Sql, utcTimestamp } from '../../core/db/sql.ts';
import { withLineLocks, type Queryable } from './linePublish.ts';

/** One publish batch as the event writer planned it. */
export interface PlannedBatch {
  now: Date;
  rows: { id: string; projectId: string; tenantId: string | null; type: string; idempotencyKey: string | null }[];
  /** Each event's data, the exact text stored and later sent. */
  jsonById: Map<string, string>;
  deliveries: { id: string; projectId: string; eventId: string; webhookId: string; inLine: boolean; tenantId?: string | null }[];
}

export interface InsertOutcome {
  /** Ids of the events inserted. */
  inserted: Set<string>;
  /** Projects whose webhooks changed since they were read: nothing was written. */
  stale: string[];
}

// Events and their deliveries in one statement, or nothing at all when a project's webhooks changed
// since they were read (see subscribers.ts). Each delivery is due at once: the workers claim it from
// the schedule in Postgres (worker/stages/claim.ts). Line positions are handed out in the order
// given: the sorted subquery makes the sequence run in that order.
const INSERT_EVENTS = prepared(
  'hookpost.insertEvents',
  `WITH stale AS (
     SELECT v.project_id AS id FROM unnest($14::text[], $15::bigint[]) AS v(project_id, version)
       LEFT JOIN projects p ON p.id = v.project_id
      WHERE p.id IS NULL OR p.webhooks_version <> v.version),
   ev AS (
     INSERT INTO events (id, project_id, type, data, timestamp, idempotency_key, tenant_id)
     SELECT id, project_id, type, data::json, $5::timestamp, key, tenant_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $12::text[]) AS e(id, project_id, type, data, key, tenant_id)
      WHERE NOT EXISTS (SELECT 1 FROM stale)
     ON CONFLICT (project_id, idempotency_key) DO NOTHING
     RETURNING id),
   dl AS (
     INSERT INTO deliveries (id, project_id, event_id, webhook_id, updated_at, next_attempt_at, line_seq, tenant_id)
     SELECT d.id, d.project_id, d.event_id, d.webhook_id, $5::timestamp, $5::timestamp,
            CASE WHEN d.in_line THEN nextval('deliveries_line_seq') END, d.tenant_id
       FROM (SELECT d.* FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $13::text[])
               WITH ORDINALITY AS d(id, project_id, event_id, webhook_id, in_line, tenant_id, n)
               JOIN ev ON ev.id = d.event_id
              ORDER BY d.n) AS d)
   SELECT 'event' AS kind, id FROM ev
   UNION ALL
   SELECT 'stale', id FROM stale`,
);

type Row = { kind: 'event' | 'stale'; id: string };

/**
 * Inserts a planned batch atomically. Deliveries to ordered webhooks take line positions in the order
 * given (publish calls in arrival order, each call's events in list order).
 */
export async function insertBatch(sql: Sql, batch: PlannedBatch, versions: Map<string, string>): Promise<InsertOutcome> {
  const { rows, jsonById, deliveries, now } = batch;
  if (!rows.length) return { inserted: new Set(), stale: [] };
  const lines = [...new Set(deliveries.filter((d) => d.inLine).map((d) => d.webhookId))];
  const params = [
    rows.map((r) => r.id),
    rows.map((r) => r.projectId),
    rows.map((r) => r.type),
    rows.map((r) => jsonById.get(r.id)),
    utcTimestamp(now),
    rows.map((r) => r.idempotencyKey),
    deliveries.map((d) => d.id),
    deliveries.map((d) => d.projectId),
    deliveries.map((d) => d.eventId),
    deliveries.map((d) => d.webhookId),
    deliveries.map((d) => d.inLine),
    rows.map((r) => r.tenantId),
    deliveries.map((d) => d.tenantId ?? null),
    [...versions.keys()],
    [...versions.values()],
  ];
  const { rows: done } = await withLineLocks(sql, lines, (q: Queryable) => q.query<Row>(INSERT_EVENTS(params)));
  return {
    inserted: new Set(done.filter((r) => r.kind === 'event').map((r) => r.id)),
    stale: done.filter((r) => r.kind === 'stale').map((r) => r.id),
  };
}
