import type { CoreDeps } from '../../core/deps.ts';
import { CLOCK_SKEW_MARGIN_MS, idFloor } from '../../core/idTime.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { projectScope, requireViewer, targetProjectId, tenantFilter } from '../auth/access.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import { badInput } from '../errors.ts';
import { visibleEventOrNotFound, visibleOrNotFound } from './access.ts';
import { loadWebhook } from './webhooks.ts';
import { parseTenantId } from './tenants.ts';

export const RESPONSE_CLASSES = ['HTTP_2XX', 'HTTP_3XX', 'HTTP_4XX', 'HTTP_5XX', 'NONE'] as const;
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];

/** The `response_status` values of a class; NONE: no HTTP answer (refused, timed out, blocked). */
export function responseStatusFilter(cls: ResponseClass): Prisma.IntNullableFilter | null {
  if (cls === 'NONE') return null;
  const low = Number(cls[5]) * 100;
  return { gte: low, lt: low + 100 };
}

export interface TimeRange {
  since?: Date | null;
  until?: Date | null;
}

/**
 * [since, until) on created_at. Ids are time-ordered, so the same bounds (widened for clock skew) on
 * the id let the newest-first index scans stop at the range instead of filtering every row.
 */
export function createdWithin(type: 'Delivery' | 'DeliveryAttempt', { since, until }: TimeRange) {
  if (since && until && !(until > since)) throw badInput('until must be after since', 'until');
  const id: Prisma.StringFilter = {};
  const createdAt: Prisma.DateTimeFilter = {};
  if (since) {
    id.gte = idFloor(type, new Date(since.getTime() - CLOCK_SKEW_MARGIN_MS));
    createdAt.gte = since;
  }
  if (until) {
    id.lt = idFloor(type, new Date(until.getTime() + CLOCK_SKEW_MARGIN_MS));
    createdAt.lt = until;
  }
  return since || until ? { id, createdAt } : {};
}

export interface DeliveryFilter extends TimeRange {
  projectId?: string | null;
  webhookId?: string | null;
  eventId?: string | null;
  tenantId?: string | null;
  status?: 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED' | null;
  eventType?: string | null;
  responseClass?: ResponseClass | null;
}

/** The rows of `deliveries(…)` the viewer may see; a foreign webhook or event is NOT_FOUND. */
export async function deliveryWhere(deps: CoreDeps, viewer: Viewer | null, f: DeliveryFilter): Promise<Prisma.DeliveryWhereInput> {
  const v = requireViewer(viewer);
  const where: Prisma.DeliveryWhereInput = { projectId: projectScope(v), ...createdWithin('Delivery', f) };
  if (f.projectId) where.projectId = targetProjectId(v, f.projectId);
  if (f.webhookId) where.webhookId = (await loadWebhook(deps, v, f.webhookId)).id;
  if (f.eventId) {
    const event = await deps.db.event.findUnique({ where: { id: f.eventId }, select: { id: true, projectId: true, tenantId: true } });
    where.eventId = (await visibleEventOrNotFound(deps.db, v, f.eventId, event)).id;
  }
  const tenantId = tenantFilter(v, parseTenantId(f.tenantId));
  if (tenantId) where.tenantId = tenantId;
  if (f.status) where.status = f.status;
  if (f.eventType) where.event = { type: f.eventType };
  if (f.responseClass) where.attempts = { some: { responseStatus: responseStatusFilter(f.responseClass) } };
  return where;
}

export interface AttemptFilter extends TimeRange {
  projectId?: string | null;
  webhookId?: string | null;
  deliveryId?: string | null;
  tenantId?: string | null;
  succeeded?: boolean | null;
  eventType?: string | null;
  responseClass?: ResponseClass | null;
}

/** The rows of `attempts(…)` the viewer may see; a foreign webhook or delivery is NOT_FOUND. */
export async function attemptWhere(deps: CoreDeps, viewer: Viewer | null, f: AttemptFilter): Promise<Prisma.DeliveryAttemptWhereInput> {
  const v = requireViewer(viewer);
  const where: Prisma.DeliveryAttemptWhereInput = { projectId: projectScope(v), ...createdWithin('DeliveryAttempt', f) };
  if (f.projectId) where.projectId = targetProjectId(v, f.projectId);
  if (f.webhookId) where.webhookId = (await loadWebhook(deps, v, f.webhookId)).id;
  if (f.deliveryId) {
    const delivery = await deps.db.delivery.findUnique({ where: { id: f.deliveryId }, select: { id: true, projectId: true, tenantId: true } });
    where.deliveryId = visibleOrNotFound(v, 'delivery', f.deliveryId, delivery).id;
  }
  if (f.succeeded != null) where.succeeded = f.succeeded;
  const tenantId = tenantFilter(v, parseTenantId(f.tenantId));
  if (tenantId || f.eventType) {
    where.delivery = { ...(tenantId ? { tenantId } : {}), ...(f.eventType ? { event: { type: f.eventType } } : {}) };
  }
  if (f.responseClass) where.responseStatus = responseStatusFilter(f.responseClass);
  return where;
}
