import { prepared, type Sql, utcTimestamp } from '../../core/db/sql.ts';
import { CARRIED_WEBHOOK_JSON, CARRY_MAX_BYTES, CARRY_MAX_DELIVERIES, type CarriedClaim, type CarriedWebhook } from '../../core/queue/carriedClaim.ts';
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
  /** The deliveries leased by the insert, for their job (see carriedClaim.ts). */
  carried?: CarriedClaim;
}

// Events and their deliveries in one statement, or nothing at all when a project's webhooks changed
// since they were read (see subscribers.ts). With $16 > 0 the deliveries outside lines whose
// webhook is active with its circuit closed are leased for $16 ms, and the webhooks are read for
// their job. The lease is looked up per row, not joined, so that nothing reorders the line
// positions' sequence.
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
     INSERT INTO deliveries (id, project_id, event_id, webhook_id, updated_at, line_seq, tenant_id, lease_until)
     SELECT d.id, d.project_id, d.event_id, d.webhook_id, $5::timestamp,
            CASE WHEN d.in_line THEN nextval('deliveries_line_seq') END, d.tenant_id,
            CASE WHEN $16::float8 > 0 AND NOT d.in_line
                      AND (SELECT w.active AND w.circuit_state = 'CLOSED' FROM webhooks w WHERE w.id = d.webhook_id)
                 THEN now()::timestamp + make_interval(secs => $16::float8 / 1000) END
       FROM (SELECT d.* FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $13::text[])
               WITH ORDINALITY AS d(id, project_id, event_id, webhook_id, in_line, tenant_id, n)
               JOIN ev ON ev.id = d.event_id
              ORDER BY d.n) AS d
     RETURNING id, webhook_id, lease_until)
   SELECT 'event' AS kind, id, NULL::text AS lease, NULL::json AS hook FROM ev
   UNION ALL
   SELECT 'stale', id, NULL, NULL FROM stale
   UNION ALL
   SELECT 'leased', id, lease_until::text, NULL FROM dl WHERE lease_until IS NOT NULL
   UNION ALL
   SELECT 'hook', w.id, NULL, ${CARRIED_WEBHOOK_JSON} FROM webhooks w
    WHERE w.id = ANY(ARRAY(SELECT DISTINCT webhook_id FROM dl WHERE lease_until IS NOT NULL))`,
);

type Row = { kind: 'event' | 'stale' | 'leased' | 'hook'; id: string; lease: string | null; hook: CarriedWebhook | null };

/**
 * Inserts a planned batch atomically. Deliveries to ordered webhooks take line positions in the order
 * given (publish calls in arrival order, each call's events in list order): the sorted subquery
 * makes the sequence run in that order. A small batch's other deliveries are leased for `leaseMs`
 * and come back as the claim their job carries.
 */
export async function insertBatch(sql: Sql, batch: PlannedBatch, versions: Map<string, string>, leaseMs: number): Promise<InsertOutcome> {
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
    carries(batch) ? leaseMs : 0,
  ];
  const { rows: done } = await withLineLocks(sql, lines, (q: Queryable) => q.query<Row>(INSERT_EVENTS(params)));
  const ofKind = (kind: Row['kind']) => done.filter((r) => r.kind === kind);
  return {
    inserted: new Set(ofKind('event').map((r) => r.id)),
    stale: ofKind('stale').map((r) => r.id),
    carried: carriedClaim(batch, ofKind('leased'), ofKind('hook'), leaseMs),
  };
}

/** Whether the batch is small enough for its job to carry its claim (payloads counted in characters). */
function carries({ deliveries, jsonById }: PlannedBatch): boolean {
  if (deliveries.length > CARRY_MAX_DELIVERIES) return false;
  let bytes = 0;
  for (const json of jsonById.values()) bytes += json.length;
  return bytes <= CARRY_MAX_BYTES;
}

function carriedClaim(batch: PlannedBatch, leased: Row[], hooks: Row[], leaseMs: number): CarriedClaim | undefined {
  if (!leased.length) return undefined;
  const eventOf = new Map(batch.deliveries.map((d) => [d.id, d.eventId]));
  const rowOf = new Map(batch.rows.map((r) => [r.id, r]));
  const claim: CarriedClaim = {
    lease: leased[0].lease!,
    leaseUntilMs: Date.parse(`${leased[0].lease!.replace(' ', 'T')}Z`),
    leaseMs,
    deliveries: {},
    events: {},
    webhooks: Object.fromEntries(hooks.map((h) => [h.id, h.hook!])),
  };
  for (const { id } of leased) {
    const eventId = eventOf.get(id)!;
    const event = rowOf.get(eventId)!;
    claim.deliveries[id] = eventId;
    claim.events[eventId] ??= { projectId: event.projectId, type: event.type, timestamp: batch.now.toISOString(), dataJson: batch.jsonById.get(eventId)! };
  }
  return claim;
}
