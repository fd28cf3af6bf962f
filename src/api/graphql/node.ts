import type { Viewer } from '../auth/apiKeys.ts';
import type { Db } from '../../core/db/client.ts';
import { typeOfId } from '../../core/ids.ts';

/** The project an object of any type belongs to; null for admin keys (no project) and unknown ids. */
export async function projectIdOf(db: Db, id: string): Promise<string | null> {
  const select = { projectId: true } as const;
  switch (typeOfId(id)) {
    case 'Project':
      return id;
    case 'ApiKey':
      return (await db.apiKey.findUnique({ where: { id }, select }))?.projectId ?? null;
    case 'Webhook':
      return (await db.webhook.findUnique({ where: { id }, select }))?.projectId ?? null;
    case 'Event':
      return (await db.event.findUnique({ where: { id }, select }))?.projectId ?? null;
    case 'EventType':
      return (await db.eventType.findUnique({ where: { id }, select }))?.projectId ?? null;
    case 'Delivery':
      return (await db.delivery.findUnique({ where: { id }, select }))?.projectId ?? null;
    case 'DeliveryAttempt':
      return (await db.deliveryAttempt.findUnique({ where: { id }, select: { delivery: { select } } }))?.delivery
        .projectId ?? null;
    default:
      return null;
  }
}

/** `node(id:)` bypasses the root resolvers, so it gets its own project check. */
export async function mayLoadNode(db: Db, viewer: Viewer | null, id: string): Promise<boolean> {
  if (!viewer || !typeOfId(id)) return false;
  if (viewer.scope === 'ADMIN') return true;
  return (await projectIdOf(db, id)) === viewer.projectId;
}
