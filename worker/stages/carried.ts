import { carriedIsFresh, type CarriedClaim } from '../../src/core/queue/carriedClaim.ts';
import type { DeliveryRef } from '../../src/core/queue/deliveryQueue.ts';
import { prepared, type Sql } from '../../src/core/db/sql.ts';
import { type DueDelivery, toDueDelivery } from './claim.ts';

/** A UTC timestamp as Prisma stores it (no zone) or as JSON carries it. */
const utcDate = (text: unknown) => (typeof text === 'string' ? new Date(`${text.replace(' ', 'T')}Z`) : null);

/**
 * The deliveries a job's carried claim leased at publish (see src/core/queue/carriedClaim.ts), as a
 * claim would return them, or none when its lease is too old to send on (the job waited, or runs
 * again after a worker died): those are claimed as usual.
 */
export function carriedDeliveries(claim: CarriedClaim | undefined, refs: DeliveryRef[]): DueDelivery[] {
  if (!claim || !carriedIsFresh(claim)) return [];
  const due: DueDelivery[] = [];
  for (const [id, webhookId, attemptCount] of refs) {
    const eventId = claim.deliveries[id];
    const webhook = claim.webhooks[webhookId];
    const event = eventId === undefined ? undefined : claim.events[eventId];
    if (!event || !webhook || attemptCount !== 0) continue;
    due.push(
      toDueDelivery({
        ...webhook,
        previous_secret_expires_at: utcDate(webhook.previous_secret_expires_at),
        id,
        project_id: event.projectId,
        attempt_count: 0,
        schedule_offset: 0,
        event_id: eventId,
        type: event.type,
        timestamp: new Date(event.timestamp),
        data_json: event.dataJson,
      }),
    );
  }
  return due;
}

/**
 * Gives back leases taken at publish that this worker will not send on, so that a claim can take
 * them at once. Only deliveries still under exactly that lease are touched.
 */
export async function releaseCarried(sql: Sql, claim: CarriedClaim, ids: string[]): Promise<void> {
  if (ids.length) await sql.query(RELEASE_CARRIED([ids, claim.lease]));
}

const RELEASE_CARRIED = prepared(
  'hookpost.releaseCarried',
  'UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::text[]) AND lease_until = $2::timestamp AND attempt_count = 0',
);
