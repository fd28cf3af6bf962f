import type { Sql } from '../../core/db/sql.ts';

// A webhook's tenant never changes (it is set on creation), so what is read once holds for good:
// live streams of tenant tokens filter every message by it without a query per message. Ids are
// unique across databases, so one map serves every app in the process.
const tenants = new Map<string, string | null>();
const MAX = 50_000;

/** The tenant of a webhook (null: project-wide); undefined for a webhook that no longer exists. */
export async function tenantOfWebhook(sql: Sql, webhookId: string): Promise<string | null | undefined> {
  if (tenants.has(webhookId)) return tenants.get(webhookId);
  const { rows } = await sql.query<{ tenant_id: string | null }>('SELECT tenant_id FROM webhooks WHERE id = $1', [webhookId]);
  if (!rows[0]) return undefined;
  if (tenants.size >= MAX) tenants.delete(tenants.keys().next().value as string);
  tenants.set(webhookId, rows[0].tenant_id);
  return rows[0].tenant_id;
}
