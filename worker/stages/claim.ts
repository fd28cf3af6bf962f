import { prepared, type Sql } from '../../src/core/db/sql.ts';
import type { EventEnvelope } from '../../src/core/delivery/request.ts';
import type { StoredProjectSettings } from '../../src/core/delivery/projectSettings.ts';
import type { RetryPolicy } from '../../src/core/delivery/retryPolicy.ts';

/** What the worker needs to attempt one delivery: the delivery's state, its event and its webhook. */
export interface DueDelivery {
  id: string;
  projectId: string;
  attemptCount: number;
  scheduleOffset: number;
  event: EventEnvelope & { dataJson: string };
  webhook: {
    id: string;
    projectId: string;
    url: string;
    /** Custom headers; a sensitive one's value is a hint here, the value itself sealed below. */
    headers: Record<string, string>;
    sensitiveHeaders: string[];
    headersCiphertext: string | null;
    headersKeyId: string | null;
    timeoutSeconds: number;
    maxConcurrency: number;
    /** Requests per second across all workers (see worker/rateGate.ts); null: no limit. */
    rateLimitPerSecond: number | null;
    retryPolicy: RetryPolicy | null;
    secretCiphertext: string;
    secretKeyId: string;
    previousSecretCiphertext: string | null;
    previousSecretKeyId: string | null;
    previousSecretExpiresAt: Date | null;
  };
  /** Its project's delivery settings as they are now (each one not set: the deployment's). */
  project: StoredProjectSettings;
  /** Claimed as the head of its ordered webhook's line: settling it lets the next one go. */
  line?: boolean;
  /** Another worker's lease on it had run out: that worker died or froze with it in hand. */
  takenOver?: boolean;
}

/** What a claim returns for each delivery (deliveries d, events e, webhooks w, projects p). */
export const DUE_COLUMNS = `d.id, d.project_id, d.attempt_count, d.schedule_offset,
            e.id AS event_id, e.type, e.timestamp, e.data::text AS data_json,
            w.id AS webhook_id, w.url, w.headers, w.sensitive_headers, w.headers_ciphertext, w.headers_key_id, w.timeout_seconds, w.max_concurrency, w.rate_limit_per_second, w.retry_policy,
            w.secret_ciphertext, w.secret_key_id, w.previous_secret_ciphertext, w.previous_secret_key_id,
            w.previous_secret_expires_at,
            p.header_prefix, p.signature_format, p.envelope, p.user_agent, p.retry_policy AS project_retry_policy, p.disable_after_failures`;

/** How many more of an endpoint's deliveries a worker wants, given how many it holds already. */
export interface ClaimRequest {
  webhookId: string;
  /** Claimed and not yet recorded in this process: the claim takes at most maxConcurrency minus these. */
  held: number;
}

/**
 * Claims the due deliveries of these endpoints, oldest due first: per endpoint at most its
 * `maxConcurrency` less what this process holds of it, and `limit` in all. A delivery is claimed
 * when it is open and outside a line, its webhook active, it is due, no live lease holds it and no other
 * claim has it locked; an endpoint whose circuit is half-open gives only its probe, an open one
 * nothing. The lease keeps every other worker off the delivery until this one records its attempt;
 * it is renewed while held (heldLeases.ts), so a killed worker's deliveries are claimable again
 * once it runs out. Ordered webhooks' lines are claimed by claimLine.ts (the due index holds none of
 * their positions).
 */
export async function claimDue(sql: Sql, requests: ClaimRequest[], limit: number, leaseMs: number): Promise<DueDelivery[]> {
  if (!requests.length || limit <= 0) return [];
  const { rows } = await sql.query(CLAIM_DUE([requests.map((r) => r.webhookId), requests.map((r) => r.held), limit, leaseMs]));
  // Ids are time-ordered: sending in id order serves each endpoint in publish order as far as it can.
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map(toDueDelivery);
}

// Each endpoint's rows come from the due index by an equality on the webhook, in the order the
// index keeps them, so a backlog of one endpoint is never read for another. Rows another claim has
// locked are skipped, not waited for; a row whose lease was renewed meanwhile is rechecked on lock.
const CLAIM_DUE = prepared(
  'hookpost.claimDue',
  `WITH wanted AS (
     SELECT w.id, w.circuit_state, w.circuit_probe_delivery_id, GREATEST(w.max_concurrency - r.held, 0) AS room, r.n
       FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS r(webhook_id, held, n)
       JOIN webhooks w ON w.id = r.webhook_id
      WHERE w.active AND w.circuit_state <> 'OPEN'),
   picked AS (
     SELECT c.id, c.taken_over FROM wanted
      CROSS JOIN LATERAL (
        SELECT d.id, d.lease_until IS NOT NULL AS taken_over FROM deliveries d
         WHERE d.webhook_id = wanted.id AND d.status IN ('PENDING', 'RETRYING') AND d.line_seq IS NULL
           AND d.next_attempt_at <= now()::timestamp
           AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
           AND (wanted.circuit_state = 'CLOSED' OR d.id = wanted.circuit_probe_delivery_id)
         ORDER BY d.next_attempt_at, d.id
         LIMIT wanted.room
         FOR UPDATE OF d SKIP LOCKED) c
      ORDER BY wanted.n
      LIMIT $3::int)
   UPDATE deliveries d
      SET lease_until = now()::timestamp + make_interval(secs => $4::float8 / 1000)
     FROM picked, events e, webhooks w, projects p
    WHERE d.id = picked.id AND e.id = d.event_id AND w.id = d.webhook_id AND p.id = d.project_id
   RETURNING ${DUE_COLUMNS}, picked.taken_over`,
);

/** A row of DUE_COLUMNS as the worker uses it. */
export function toDueDelivery(r: any): DueDelivery {
  return {
    id: r.id,
    projectId: r.project_id,
    attemptCount: r.attempt_count,
    scheduleOffset: r.schedule_offset,
    event: { id: r.event_id, type: r.type, timestamp: r.timestamp, projectId: r.project_id, data: undefined, dataJson: r.data_json },
    webhook: {
      id: r.webhook_id,
      projectId: r.project_id,
      url: r.url,
      headers: r.headers,
      sensitiveHeaders: r.sensitive_headers,
      headersCiphertext: r.headers_ciphertext,
      headersKeyId: r.headers_key_id,
      timeoutSeconds: r.timeout_seconds,
      maxConcurrency: r.max_concurrency,
      rateLimitPerSecond: r.rate_limit_per_second,
      retryPolicy: r.retry_policy,
      secretCiphertext: r.secret_ciphertext,
      secretKeyId: r.secret_key_id,
      previousSecretCiphertext: r.previous_secret_ciphertext,
      previousSecretKeyId: r.previous_secret_key_id,
      previousSecretExpiresAt: r.previous_secret_expires_at,
    },
    project: {
      headerPrefix: r.header_prefix,
      signatureFormat: r.signature_format,
      envelope: r.envelope,
      userAgent: r.user_agent,
      retryPolicy: r.project_retry_policy,
      disableAfterFailures: r.disable_after_failures,
    },
    takenOver: r.taken_over === true,
  };
}

/**
 * Extends the leases of deliveries this worker still holds (claimed, sending or being recorded).
 * Returns the ids renewed: a delivery whose row is locked (its attempt being recorded) is passed
 * over, not waited for.
 */
export async function renewLeases(sql: Sql, ids: string[], leaseMs: number): Promise<string[]> {
  if (!ids.length) return [];
  const { rows } = await sql.query<{ id: string }>(RENEW_LEASES([ids, leaseMs]));
  return rows.map((r) => r.id);
}

/** Lets go of leases this worker will not use (deliveries handed back unsent). */
export async function releaseLeases(sql: Sql, ids: string[]): Promise<void> {
  if (ids.length) await sql.query(RELEASE_LEASES([ids]));
}

// Rows locked by the recorder are skipped: waiting for them deadlocked with its batches, which lock
// the same rows in another order (Postgres then stalls both for a second before it gives up on one).
const RENEW_LEASES = prepared(
  'hookpost.renewLeases',
  `UPDATE deliveries d SET lease_until = now()::timestamp + make_interval(secs => $2::float8 / 1000)
     FROM (SELECT id FROM deliveries WHERE id = ANY($1::text[]) AND lease_until IS NOT NULL
             FOR NO KEY UPDATE SKIP LOCKED) held
    WHERE d.id = held.id AND d.id = ANY($1::text[])
   RETURNING d.id`,
);
const RELEASE_LEASES = prepared('hookpost.releaseLeases', 'UPDATE deliveries SET lease_until = NULL WHERE id = ANY($1::text[])');
