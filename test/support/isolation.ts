// What the isolation matrices check after a refused operation: the refusal itself, that it names no
// object the caller did not, and (with `allRows`) that nothing was written.
import { expect } from 'vitest';
import type { Db } from '../../src/core/db/client.ts';
import { waitUntil } from './wait.ts';

/** Any id of any kind: a refusal carries none. */
export const ANY_ID = /\b(prj|key|whk|evt|dlv|att)_[0-9a-z]/;

/** A refusal, or `null` for a query answering nothing (a node that is not the caller's). */
export type Refusal = 'null' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'BAD_USER_INPUT';

/** Every row of every table the matrices touch, once the worker has settled what it was doing. */
export async function allRows(db: Db): Promise<unknown> {
  await waitUntil(async () => (await db.delivery.count({ where: { status: { in: ['PENDING', 'RETRYING'] } } })) === 0, 15_000, 'open deliveries to settle');
  const byId = { orderBy: { id: 'asc' as const } };
  return Promise.all([
    db.project.findMany(byId),
    db.apiKey.findMany(byId),
    db.webhook.findMany(byId),
    db.event.findMany(byId),
    db.delivery.findMany(byId),
    db.deliveryAttempt.findMany(byId),
  ]);
}

/**
 * The answer is the refusal expected, carries no id in its data, and names none of `hidden` that the
 * request's variables did not name.
 */
export function expectRefused(res: { data?: any; errors?: any[] }, refusal: Refusal, vars: Record<string, unknown>, hidden: string[]): void {
  if (refusal === 'null') {
    expect(res.errors).toBeUndefined();
    expect(Object.values(res.data ?? {}).flat()).toEqual(Array.isArray(vars.ids) ? vars.ids.map(() => null) : [null]);
  } else {
    expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe(refusal);
  }
  expect(JSON.stringify(res.data ?? null)).not.toMatch(ANY_ID);
  const named = JSON.stringify(vars);
  for (const id of hidden.filter((id) => !named.includes(id))) expect(JSON.stringify(res)).not.toContain(id);
}
