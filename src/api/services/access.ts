import type { Db } from '../../core/db/client.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import { canAccessProject, forbiddenToTenant, requireViewer } from '../auth/access.ts';
import { notFound } from '../errors.ts';
import { tenantSeesEvent } from './tenants.ts';

/**
 * Returns a tenant-owned row (a webhook, event, delivery) when the viewer may see it. A row of
 * another project is reported as missing, so that a key cannot probe which ids exist elsewhere; so
 * is, to a tenant token, a row of another tenant or a project-wide one. A row read without its
 * `tenantId` is missing to a tenant token too: it fails closed, never open.
 */
export function visibleOrNotFound<T extends { projectId: string; tenantId?: string | null }>(
  viewer: Viewer | null,
  what: string,
  id: string,
  row: T | null,
): T {
  const v = requireViewer(viewer);
  if (!row || !canAccessProject(v, row.projectId)) throw notFound(what, id);
  if (v.scope === 'TENANT' && (!('tenantId' in row) || row.tenantId !== v.tenantId)) throw notFound(what, id);
  return row;
}

/**
 * Returns project-level data (the project, its event types) when the viewer may see it: a tenant
 * token of the project may read it, and is FORBIDDEN to change it (in a mutation).
 */
export function visibleProjectDataOrNotFound<T extends { projectId: string }>(viewer: Viewer | null, what: string, id: string, row: T | null): T {
  const v = requireViewer(viewer);
  if (!row || !canAccessProject(v, row.projectId)) throw notFound(what, id);
  if (v.scope === 'TENANT' && v.mutating) throw forbiddenToTenant();
  return row;
}

/**
 * `visibleOrNotFound` for events: a tenant also sees the broadcasts it was sent (their tenantId is
 * null), found through one of its deliveries.
 */
export async function visibleEventOrNotFound<T extends { id: string; projectId: string; tenantId: string | null }>(
  db: Db,
  viewer: Viewer | null,
  id: string,
  row: T | null,
): Promise<T> {
  const v = requireViewer(viewer);
  if (v.scope === 'TENANT' && row && row.tenantId === null && row.projectId === v.projectId && (await tenantSeesEvent(db, v.tenantId, row.id))) {
    return row;
  }
  return visibleOrNotFound(v, 'event', id, row);
}
