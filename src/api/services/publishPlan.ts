import { subscribesTo } from '../../core/eventTypes.ts';
import { newId } from '../../core/ids.ts';
import type { Wakeup } from '../../core/queue/wakeups.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { FilterDocument } from '../filters/webhookFilter.ts';
import { keyOf } from './idempotency.ts';
import { routeOf, type Routing, type Subscriber } from './subscribers.ts';

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

export interface NewDelivery {
  id: string;
  projectId: string;
  eventId: string;
  webhookId: string;
  inLine: boolean;
  tenantId?: string | null;
}

/** What became of one event in the plan: a row to insert, a replay of a key, or a project that is gone. */
export type PlannedEvent = { row: EventRow; count: number } | { replayOf: string } | { missingProject: string };

export interface Plan {
  now: Date;
  rows: EventRow[];
  jsonById: Map<string, string>;
  deliveries: NewDelivery[];
  planned: Map<NewEvent, PlannedEvent>;
}

/**
 * Events and deliveries to insert for a batch: each event goes to the subscribers of its route whose
 * event types and filter it matches; a key used earlier (`replays`) or earlier in the batch makes a
 * replay instead. `accepts` applies a webhook's filter to the envelope a filter sees.
 */
export function planBatch(
  all: NewEvent[],
  routing: Routing,
  replays: Map<string, unknown>,
  accepts: (w: Subscriber, doc: () => FilterDocument) => boolean,
): Plan {
  const now = new Date();
  const plan: Plan = { now, rows: [], jsonById: new Map(), deliveries: [], planned: new Map() };
  const claimedKeys = new Set<string>();
  for (const e of all) {
    const hooks = routing.subscribers.get(routeOf(e));
    const key = e.idempotencyKey && keyOf(e.projectId, e.idempotencyKey);
    if (!hooks) plan.planned.set(e, { missingProject: e.projectId });
    else if (key && (replays.has(key) || claimedKeys.has(key))) plan.planned.set(e, { replayOf: key });
    else {
      if (key) claimedKeys.add(key);
      const row = {
        id: newId('Event'),
        projectId: e.projectId,
        tenantId: e.tenantId,
        type: e.type,
        data: e.data,
        timestamp: now,
        idempotencyKey: e.idempotencyKey,
        dataPurgedAt: null,
      };
      // What a filter sees: the envelope's fields, timestamp as the ISO string the body carries.
      let doc: FilterDocument | undefined;
      const docOf = () => (doc ??= { id: row.id, type: e.type, timestamp: now.toISOString(), data: e.data });
      const matching = hooks.filter((w) => subscribesTo(w.events, e.type) && accepts(w, docOf));
      for (const w of matching)
        plan.deliveries.push({ id: newId('Delivery'), projectId: e.projectId, eventId: row.id, webhookId: w.id, inLine: w.ordered, tenantId: w.tenantId });
      plan.rows.push(row);
      plan.jsonById.set(row.id, e.dataJson);
      plan.planned.set(e, { row, count: matching.length });
    }
  }
  return plan;
}

/** The endpoints these new deliveries go to, for the workers' wake-up: ordered ones by their lines. */
export function wakeupOf(deliveries: NewDelivery[]): Wakeup {
  const webhookIds = new Set<string>();
  const lines = new Set<string>();
  for (const d of deliveries) (d.inLine ? lines : webhookIds).add(d.webhookId);
  return { webhookIds: [...webhookIds], lines: [...lines] };
}
