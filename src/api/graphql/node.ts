import type { Viewer } from '../auth/apiKeys.ts';
import type { Db } from '../../core/db/client.ts';
import { typeOfId } from '../../core/ids.ts';
import { tenantSeesEvent } from '../services/tenants.ts';

/** Whose an object is: its project, and for tenant-owned objects its tenant; null for unknown ids. */
interface Owner {
  projectId: string | null;
  /** Absent for project-level objects (the project itself); null for project-wide ones. */
  tenantId?: string | null;
}

async function ownerOf(db: Db, id: string): Promise<Owner | null> {
  const select = { projectId: true, tenantId: true } as const;
  switch (typeOfId(id)) {
    case 'Project':
      return { projectId: id };
    case 'ApiKey':
      // An admin key has no project: only admin keys see it.
      return (await db.apiKey.findUnique({ where: { id }, select: { projectId: true } })) ?? null;
    case 'Webhook':
      return db.webhook.findUnique({ where: { id }, select });
    case 'Event':
      return db.event.findUnique({ where: { id }, select });
    case 'EventType':
      // Project-level, as the project itself: a tenant token of the project may read it.
      return db.eventType.findUnique({ where: { id }, select: { projectId: true } });
    case 'Delivery':
      return db.delivery.findUnique({ where: { id }, select });
    case 'DeliveryAttempt':
      return (await db.deliveryAttempt.findUnique({ where: { id }, select: { delivery: { select } } }))?.delivery ?? null;
    default:
      return null;
  }
}

/** `node(id:)` bypasses the root resolvers, so it gets its own project (and tenant) check. */
export async function mayLoadNode(db: Db, viewer: Viewer | null, id: string): Promise<boolean> {
  if (!viewer || !typeOfId(id)) return false;
  if (viewer.scope === 'ADMIN') return true;
  const owner = await ownerOf(db, id);
  if (!owner || owner.projectId !== viewer.projectId) return false;
  if (viewer.scope === 'PROJECT') return true;
  // A tenant token: API keys never; its own tenant's objects; the project itself; broadcasts it was sent.
  if (typeOfId(id) === 'ApiKey') return false;
  if (!('tenantId' in owner)) return true;
  if (owner.tenantId === viewer.tenantId) return true;
  return typeOfId(id) === 'Event' && owner.tenantId === null && tenantSeesEvent(db, viewer.tenantId, id);
}
