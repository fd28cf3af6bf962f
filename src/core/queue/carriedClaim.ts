/**
 * Claimed at publish. A small publish batch leases its new deliveries in the very statement that
 * inserts them, and its job carries what sending them needs (the events and the webhooks' settings
 * as that statement read them), so a worker that takes the job while the lease is young sends at
 * once instead of claiming first. At 500 events/s the claim's round trip was 3 ms of a 13 ms
 * publish → receive p50. Anything else (an old or re-run job, an endpoint without room, a circuit
 * opening) gives the lease back and claims as usual.
 *
 * What this trades: the webhook's settings are those of the publish, not of the send, which comes
 * at most half a publish lease later (normally milliseconds). A webhook disabled, or its circuit
 * opened by another worker, within that time still gets what was published before; a claim made
 * just before such a change has the same effect. Jobs in Redis now hold event payloads and the
 * webhooks' sealed secrets and sensitive header values (ciphertext, as in Postgres). Workers are
 * upgraded before API processes: an older worker's claim waits out each publish lease.
 */
export interface CarriedClaim {
  /** The lease as the insert wrote it: giving it back touches only deliveries still under it. */
  lease: string;
  /** The same lease as epoch milliseconds, and its length. */
  leaseUntilMs: number;
  leaseMs: number;
  /** Leased delivery id → its event id. */
  deliveries: Record<string, string>;
  events: Record<string, CarriedEvent>;
  /** Each webhook as the insert read it, keyed like the claim's columns (worker/stages/claim.ts). */
  webhooks: Record<string, CarriedWebhook>;
}

export interface CarriedEvent {
  projectId: string;
  type: string;
  /** ISO 8601, as the body carries it. */
  timestamp: string;
  dataJson: string;
}

export type CarriedWebhook = Record<string, unknown> & { webhook_id: string };

/** A job carries its claim only for a batch this small, so that jobs stay small in Redis. */
export const CARRY_MAX_DELIVERIES = 64;
export const CARRY_MAX_BYTES = 64 * 1024;

/**
 * How long a publish leases its deliveries for: long enough for a worker to take the job and renew
 * the lease to its own length while it sends (worker/heldLeases.ts), short enough that a worker starting
 * after Redis lost the jobs finds the deliveries free again within seconds (its reconciler leaves
 * leased deliveries alone).
 */
export const publishLeaseMs = (jobLockMs: number) => Math.min(5000, jobLockMs);

/**
 * A worker sends carried deliveries only while this share of their lease is left, so that its
 * renewal lands long before the lease ends, even with its clock somewhat behind Postgres's.
 */
export const CARRY_FRESH_SHARE = 1 / 2;

/**
 * A worker renews a carried lease once this share of it is left: deliveries sent and recorded
 * before then (nearly all: milliseconds after publish) are never renewed, and a slow one still has
 * as long to get its renewal through as one taken at CARRY_FRESH_SHARE, renewed at once.
 */
export const CARRY_RENEW_SHARE = 0.6;

/** When a worker renews the leases a job carried (see CARRY_RENEW_SHARE), in epoch milliseconds. */
export const carriedRenewAt = (claim: Pick<CarriedClaim, 'leaseUntilMs' | 'leaseMs'>) => claim.leaseUntilMs - CARRY_RENEW_SHARE * claim.leaseMs;

/**
 * The webhook columns a carried claim holds (the claim's own, worker/stages/claim.ts), as JSON.
 * Timestamps come as UTC text without a zone, as Prisma stores them.
 */
export const CARRIED_WEBHOOK_JSON = `json_build_object(
  'webhook_id', w.id, 'url', w.url, 'headers', w.headers, 'sensitive_headers', w.sensitive_headers,
  'headers_ciphertext', w.headers_ciphertext, 'headers_key_id', w.headers_key_id,
  'timeout_seconds', w.timeout_seconds, 'max_concurrency', w.max_concurrency,
  'rate_limit_per_second', w.rate_limit_per_second, 'retry_policy', w.retry_policy,
  'secret_ciphertext', w.secret_ciphertext, 'secret_key_id', w.secret_key_id,
  'previous_secret_ciphertext', w.previous_secret_ciphertext, 'previous_secret_key_id', w.previous_secret_key_id,
  'previous_secret_expires_at', w.previous_secret_expires_at)`;

/** Whether a worker may send a job's carried deliveries without claiming them (see CARRY_FRESH_SHARE). */
export function carriedIsFresh(claim: CarriedClaim, now = Date.now()): boolean {
  return claim.leaseUntilMs - now >= CARRY_FRESH_SHARE * claim.leaseMs;
}
