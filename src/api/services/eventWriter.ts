import type { Logger } from 'pino';
import { createBatcher } from '../../core/batcher.ts';
import { prepared, type Sql, utcTimestamp } from '../../core/db/sql.ts';
import { subscribesTo } from '../../core/eventTypes.ts';
import { newId } from '../../core/ids.ts';
import type { DeliveryQueue, DeliveryRef } from '../../core/queue/deliveryQueue.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { createFilterCache } from '../filters/filterCache.ts';
import type { FilterDocument } from '../filters/webhookFilter.ts';
import { withLineLocks, type Queryable } from './linePublish.ts';

/** One event as validated by the service: `dataJson` is the exact text stored and later sent. */
export interface NewEvent {
  projectId: string;
  /** The tenant it is for: its webhooks and the project-wide ones get it. Null: project-wide ones only. */
  tenantId: string | null;
  /** Every tenant's matching webhooks get it (tenantId is then null). */
  broadcast: boolean;
  type: string;
  data: Prisma.JsonObject;
  dataJson: string;
  idempotencyKey: string | null;
}

export interface EventRow {
  id: string;
  projectId: string;
  tenantId: string | null;
  type: string;
  data: Prisma.JsonValue;
  timestamp: Date;
  idempotencyKey: string | null;
  /** Set once retention has removed the payload. */
  dataPurgedAt: Date | null;
}

export type WriteResult =
  | { event: EventRow; deliveryCount: number; replayed: boolean }
  | { missingProject: string };

export interface EventWriter {
  /** Writes a group of events (one publish call) atomically, beside whatever else is being published. */
  write(group: NewEvent[]): Promise<WriteResult[]>;
  drain(): Promise<void>;
}

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
const ENQUEUE_TIMEOUT_MS = 2000;
const PARALLEL_FLUSHES = 2;

interface Subscriber {
  id: string;
  events: string[];
  /** The payload filter as stored (jsonb text), null for none. */
  filter: string | null;
  /** Its deliveries join its line (see worker/stages/claimLine.ts). */
  ordered: boolean;
  /** Its tenant, which its deliveries carry; null for a project-wide webhook. */
  tenantId: string | null;
}

interface NewDelivery {
  id: string;
  projectId: string;
  eventId: string;
  webhookId: string;
  inLine: boolean;
  tenantId?: string | null;
}

// Three index ranges of (project_id, tenant_id), so that a tenant's event reads its own few
// webhooks and not every tenant's; the r.broadcast branches are decided once per route.
const SUBSCRIBERS = prepared(
  'hookpost.subscribers',
  `SELECT r.project_id, r.tenant_id AS route_tenant, r.broadcast, w.id, w.events, w.filter::text AS filter, w.ordered, w.tenant_id
       FROM unnest($1::text[], $2::text[], $3::bool[]) AS r(project_id, tenant_id, broadcast)
       JOIN projects p ON p.id = r.project_id
       LEFT JOIN LATERAL (
         SELECT id, events, filter, ordered, tenant_id FROM webhooks
          WHERE project_id = p.id AND active AND tenant_id IS NULL
         UNION ALL
         SELECT id, events, filter, ordered, tenant_id FROM webhooks
          WHERE r.broadcast AND project_id = p.id AND active AND tenant_id IS NOT NULL
         UNION ALL
         SELECT id, events, filter, ordered, tenant_id FROM webhooks
          WHERE NOT r.broadcast AND project_id = p.id AND active AND tenant_id = r.tenant_id) w ON true`,
);

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

// Events and their deliveries in one statement (see insert below).
const INSERT_EVENTS = prepared(
  'hookpost.insertEvents',
  `WITH ev AS (
     INSERT INTO events (id, project_id, type, data, timestamp, idempotency_key, tenant_id)
     SELECT id, project_id, type, data::json, $5::timestamp, key, tenant_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $12::text[]) AS e(id, project_id, type, data, key, tenant_id)
     ON CONFLICT (project_id, idempotency_key) DO NOTHING
     RETURNING id),
   dl AS (
     INSERT INTO deliveries (id, project_id, event_id, webhook_id, updated_at, line_seq, tenant_id)
     SELECT d.id, d.project_id, d.event_id, d.webhook_id, $5::timestamp,
            CASE WHEN d.in_line THEN nextval('deliveries_line_seq') END, d.tenant_id
       FROM (SELECT d.* FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $13::text[])
               WITH ORDINALITY AS d(id, project_id, event_id, webhook_id, in_line, tenant_id, n)
               JOIN ev ON ev.id = d.event_id
              ORDER BY d.n) AS d)
   SELECT id FROM ev`,
);

/**
 * What the publish job carries: every delivery outside a line, and for each line only its first new
 * delivery, which wakes the line (the rest wait in Postgres and are claimed one at a time, in order).
 */
export function refsToEnqueue(deliveries: NewDelivery[]): DeliveryRef[] {
  const woken = new Set<string>();
  const refs: DeliveryRef[] = [];
  for (const d of deliveries) {
    if (d.inLine && woken.has(d.webhookId)) continue;
    if (d.inLine) woken.add(d.webhookId);
    refs.push([d.id, d.webhookId, 0]);
  }
  return refs;
}

/**
 * Events with the same route go to the same webhooks: the project's, narrowed to a tenant's, to every
 * tenant's (broadcast), or to none of any tenant's.
 */
const routeOf = (e: { projectId: string; tenantId: string | null; broadcast: boolean }) =>
  `${e.projectId}\u0000${e.broadcast ? '*' : (e.tenantId ?? '')}`;

/**
 * Group commit for publishing: the calls that arrive while a write is under way are written by the
 * next one — one read of the subscribers, one INSERT of events and deliveries, one BullMQ job per
 * batch — so Postgres and Redis see a round trip per batch instead of several per event.
 */
export function createEventWriter(deps: { sql: Sql; queue: DeliveryQueue; logger: Logger }): EventWriter {
  const { sql } = deps;
  const filters = createFilterCache((err, filter) => deps.logger.warn({ err, filter }, 'a stored webhook filter failed; it matches nothing'));
  const accepts = (w: Subscriber, doc: () => FilterDocument) => w.filter === null || filters.get(w.filter)(doc());

  /**
   * The active webhooks of each route in one read (a route of a missing project has no entry): the
   * project-wide ones, plus the tenant's own or, for a broadcast, every tenant's. Each webhook's
   * tenant is noted for its deliveries.
   */
  async function subscribersOf(events: NewEvent[]): Promise<Map<string, Subscriber[]>> {
    const routes = [...new Map(events.map((e) => [routeOf(e), e])).values()];
    const { rows } = await sql.query<{ project_id: string; route_tenant: string | null; broadcast: boolean; id: string | null; events: string[] | null; filter: string | null; ordered: boolean | null; tenant_id: string | null }>(
      SUBSCRIBERS([routes.map((e) => e.projectId), routes.map((e) => e.tenantId), routes.map((e) => e.broadcast)]),
    );
    const byRoute = new Map<string, Subscriber[]>();
    for (const r of rows) {
      const route = routeOf({ projectId: r.project_id, tenantId: r.route_tenant, broadcast: r.broadcast });
      const list = byRoute.get(route) ?? [];
      if (r.id && r.events) list.push({ id: r.id, events: r.events, filter: r.filter, ordered: r.ordered === true, tenantId: r.tenant_id });
      byRoute.set(route, list);
    }
    return byRoute;
  }

  /** Events already published under these keys within the window, with their delivery counts. */
  async function earlier(events: NewEvent[]): Promise<Map<string, { event: EventRow; deliveryCount: number }>> {
    const keyed = events.filter((e) => e.idempotencyKey);
    if (!keyed.length) return new Map();
    const params = [keyed.map((e) => e.projectId), keyed.map((e) => e.idempotencyKey)];
    // A key older than the window may be used again: release it from the old event first.
    await sql.query(RELEASE_OLD_KEYS(params));
    const { rows } = await sql.query<{ id: string; project_id: string; tenant_id: string | null; type: string; data: Prisma.JsonValue; timestamp: Date; idempotency_key: string; data_purged_at: Date | null; n: number }>(EARLIER_EVENTS(params));
    return new Map(
      rows.map((r) => [
        `${r.project_id}\u0000${r.idempotency_key}`,
        { event: { id: r.id, projectId: r.project_id, tenantId: r.tenant_id, type: r.type, data: r.data, timestamp: r.timestamp, idempotencyKey: r.idempotency_key, dataPurgedAt: r.data_purged_at }, deliveryCount: r.n },
      ]),
    );
  }

  async function enqueueQuietly(refs: DeliveryRef[]): Promise<void> {
    try {
      // With Redis down, BullMQ would wait for it to return; the publisher should not.
      await Promise.race([
        deps.queue.enqueueFresh(refs),
        new Promise((_, reject) => setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS).unref()),
      ]);
    } catch (err) {
      // Not the publisher's failure: the deliveries are committed and the reconciler finds them.
      deps.logger.warn({ err, count: refs.length }, 'enqueue failed; the reconciler will pick these up');
    }
  }

  async function flush(groups: NewEvent[][]): Promise<WriteResult[][]> {
    const all = groups.flat();
    const subscribers = await subscribersOf(all);
    const replays = await earlier(all);
    const now = new Date();
    const rows: EventRow[] = [];
    const jsonById = new Map<string, string>();
    const deliveries: NewDelivery[] = [];
    const planned = new Map<NewEvent, { row: EventRow; count: number } | { replayOf: string } | { missingProject: string }>();
    const claimedKeys = new Set<string>();
    for (const e of all) {
      const hooks = subscribers.get(routeOf(e));
      const key = e.idempotencyKey && `${e.projectId}\u0000${e.idempotencyKey}`;
      if (!hooks) planned.set(e, { missingProject: e.projectId });
      else if (key && (replays.has(key) || claimedKeys.has(key))) planned.set(e, { replayOf: key });
      else {
        if (key) claimedKeys.add(key);
        const row = { id: newId('Event'), projectId: e.projectId, tenantId: e.tenantId, type: e.type, data: e.data, timestamp: now, idempotencyKey: e.idempotencyKey, dataPurgedAt: null };
        // What a filter sees: the envelope's fields, timestamp as the ISO string the body carries.
        let doc: FilterDocument | undefined;
        const docOf = () => (doc ??= { id: row.id, type: e.type, timestamp: now.toISOString(), data: e.data });
        const matching = hooks.filter((w) => subscribesTo(w.events, e.type) && accepts(w, docOf));
        for (const w of matching) deliveries.push({ id: newId('Delivery'), projectId: e.projectId, eventId: row.id, webhookId: w.id, inLine: w.ordered, tenantId: w.tenantId });
        rows.push(row);
        jsonById.set(row.id, e.dataJson);
        planned.set(e, { row, count: matching.length });
      }
    }
    const inserted = await insert(rows, jsonById, deliveries, now);
    // A key another API process committed between our look-up and our insert: that event wins.
    const lost = rows.filter((r) => !inserted.has(r.id));
    const lateReplays = lost.length ? await earlier(all.filter((e) => lost.some((r) => r.idempotencyKey === e.idempotencyKey && r.projectId === e.projectId))) : new Map();
    const committed = new Map([...replays, ...lateReplays]);
    await enqueueQuietly(refsToEnqueue(deliveries.filter((d) => inserted.has(d.eventId))));

    const resultOf = (e: NewEvent): WriteResult => {
      const plan = planned.get(e)!;
      if ('missingProject' in plan) return plan;
      if ('row' in plan && inserted.has(plan.row.id)) return { event: plan.row, deliveryCount: plan.count, replayed: false };
      const key = `${e.projectId}\u0000${e.idempotencyKey}`;
      const replay = committed.get(key) ?? rows.find((r) => inserted.has(r.id) && `${r.projectId}\u0000${r.idempotencyKey}` === key);
      if (replay && 'event' in replay) return { ...replay, replayed: true };
      if (replay) return { event: replay, deliveryCount: deliveries.filter((d) => d.eventId === replay.id).length, replayed: true };
      throw new Error(`idempotency key ${e.idempotencyKey} neither inserted nor found`);
    };
    return groups.map((group) => group.map(resultOf));
  }

  /**
   * Events and their deliveries in one statement (atomic); returns the ids of the events inserted.
   * Deliveries to ordered webhooks take line positions in the order given (publish calls in arrival
   * order, each call's events in list order): the sorted subquery makes the sequence run in that order.
   */
  async function insert(rows: EventRow[], jsonById: Map<string, string>, deliveries: NewDelivery[], now: Date) {
    if (!rows.length) return new Set<string>();
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
    ];
    const { rows: done } = await withLineLocks(sql, lines, (q: Queryable) => q.query<{ id: string }>(INSERT_EVENTS(params)));
    return new Set(done.map((r) => r.id));
  }

  const batcher = createBatcher(flush, { maxBatch: 64, parallel: PARALLEL_FLUSHES });
  return {
    write: (group) => batcher.submit(group),
    drain: () => batcher.drain(),
  };
}
