import { z } from 'zod';
import type { Db } from '../../core/db/client.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { badInput } from '../errors.ts';

/**
 * Tenants are the SaaS's own customers inside a project, named by the SaaS's own ids (Svix's `uid`,
 * Outpost's `tenant_id`): there is nothing to register, a webhook or an event simply carries one.
 */
export const tenantId = z.string().regex(/^[A-Za-z0-9._:-]{1,255}$/, 'a tenant id is 1-255 characters of letters, digits, ".", "_", ":" and "-"');

export interface Routing {
  tenantId?: string | null;
  broadcast?: boolean | null;
}

/**
 * Where a published event goes: a tenant's webhooks (and the project-wide ones), every tenant's
 * (`broadcast`), or the project-wide ones only, so that an event never reaches every customer by accident.
 */
export function parseRouting(input: Routing, field = ''): { tenantId: string | null; broadcast: boolean } {
  if (input.tenantId != null && input.broadcast) {
    throw badInput(`${field}tenantId: give either tenantId or broadcast: true, not both`, `${field}tenantId`);
  }
  return { tenantId: parseTenantId(input.tenantId, `${field}tenantId`), broadcast: input.broadcast ?? false };
}

export function parseTenantId(value: string | null | undefined, field = 'tenantId'): string | null {
  if (value == null) return null;
  const parsed = tenantId.safeParse(value);
  if (!parsed.success) throw badInput(`${field}: ${parsed.error.issues[0].message}`, field);
  return parsed.data;
}

/**
 * A tenant's events: those published for it, and the broadcasts it was sent (their tenantId is null,
 * but one of its deliveries names it).
 */
export function tenantEventsWhere(tenant: string): Prisma.EventWhereInput {
  return { OR: [{ tenantId: tenant }, { tenantId: null, deliveries: { some: { tenantId: tenant } } }] };
}

/** Whether a tenant may see this event of its project (the rule of `tenantEventsWhere`, for one event). */
export async function tenantSeesEvent(db: Db, tenant: string, eventId: string): Promise<boolean> {
  return (await db.event.count({ where: { id: eventId, ...tenantEventsWhere(tenant) } })) > 0;
}
