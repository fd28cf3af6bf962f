import { prepared, type Sql } from '../../src/core/db/sql.ts';
import type { EventEnvelope } from '../../src/core/delivery/request.ts';
import type { RetryPolicy } from '../../src/core/delivery/retryPolicy.ts';
import type { DeliveryRef } from '../../src/core/queue/deliveryQueue.ts';

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
  /** Claimed as the head of its ordered webhook's line: settling it lets the next one go. */
  line?: boolean;
}

/** What a claim returns for each delivery (deliveries d, events e, webhooks w). */
export const DUE_COLUMNS = `d.id, d.project_id, d.attempt_count, d.schedule_offset,
            e.id AS event_id, e.type, e.timestamp, e.data::text AS data_json,
            w.id AS webhook_id, w.url, w.headers, w.sensitive_headers, w.headers_ciphertext, w.headers_key_id, w.timeout_seconds, w.max_concurrency, w.rate_limit_per_second, w.retry_policy,
            w.secret_ciphertext, w.secret_key_id, w.previous_secret_ciphertext, w.previous_secret_key_id,
            w.previous_secret_expires_at`;

/**
 * Claims the deliveries that are due now, in a statement per RUN_MAX of them, and returns what
 * sending them needs. A delivery is claimed when it is open, its webhook active, no live lease holds
 * it, it is due, and it has made exactly the attempts its job names (a job for an attempt already
 * made is stale). The lease keeps a second job for the same delivery (a reconciler's, a stalled
 * one's) from sending it again; the worker renews it while it works, so a killed worker's deliveries
 * are free after `leaseMs`. A delivery in an ordered webhook's line is never claimed here but by its
 * line (claimLine.ts).
 */
export async function claimDeliveries(sql: Sql, refs: DeliveryRef[], leaseMs: number): Promise<DueDelivery[]> {
  const rows: ({ id: string } & Record<string, unknown>)[] = [];
  try {
    for (const [ids, counts] of runsOf(refs)) rows.push(...(await sql.query(CLAIM([ids, counts, leaseMs]))).rows);
  } catch (err) {
    // The caller gives every ref back on an error: the runs claimed so far must not stay leased.
    await releaseLeases(
      sql,
      rows.map((r) => r.id),
    ).catch(() => undefined);
    throw err;
  }
  // Ids are time-ordered: sending in id order serves each endpoint in publish order as far as it can.
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map(toDueDelivery);
}

/** Refs per statement: finding each id's position in the list costs a search of the list. */
const RUN_MAX = 250;

/**
 * The refs as runs of ids and their attempt counts, each naming a delivery once (the statements
 * below find a delivery's attempt count by its id's position) and at most RUN_MAX long. A delivery
 * named twice (two jobs' refs) is rare.
 */
function runsOf(refs: DeliveryRef[]): [ids: string[], counts: number[]][] {
  const copies: DeliveryRef[][] = [];
  const seen = new Map<string, number>();
  for (const ref of refs) {
    const copy = seen.get(ref[0]) ?? 0;
    seen.set(ref[0], copy + 1);
    (copies[copy] ??= []).push(ref);
  }
  const runs: [string[], number[]][] = [];
  for (const group of copies) {
    for (let i = 0; i < group.length; i += RUN_MAX) {
      const run = group.slice(i, i + RUN_MAX);
      runs.push([run.map((r) => r[0]), run.map((r) => r[2])]);
    }
  }
  return runs;
}

// Deliveries are looked up by `id = ANY($1)` and matched with their job's attempt count by their
// position in $1. The plan is generic and may be made on empty tables (src/core/db/sql.ts); joined
// with unnest($1, $2) instead, such a plan read every open delivery.
const BY_REF = `d.id = ANY($1::text[]) AND d.attempt_count = ($2::int[])[array_position($1::text[], d.id)]`;

const CLAIM = prepared(
  'hookpost.claim',
  `UPDATE deliveries d
        SET lease_until = now()::timestamp + make_interval(secs => $3::float8 / 1000)
       FROM events e, webhooks w
      WHERE ${BY_REF}
        AND e.id = d.event_id AND w.id = d.webhook_id
        AND d.status IN ('PENDING', 'RETRYING') AND w.active
        AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
        AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now()::timestamp + interval '1 second')
        AND NOT (w.ordered AND d.line_seq IS NOT NULL)
        -- An open circuit holds its deliveries; a half-open one lets its probe through (circuitBreaker.ts).
        AND (w.circuit_state = 'CLOSED' OR w.circuit_probe_delivery_id = d.id)
  RETURNING ${DUE_COLUMNS}`,
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
  };
}

/**
 * Why a delivery was not claimed: it will be claimable later by the same attempt's job (`wait`), it
 * is due but in an ordered webhook's line, which decides what goes next (`line`), its endpoint's
 * circuit is open and its cool-down over, so it may become the probe (`probe`), or it needs no job.
 */
export type NotClaimed = { kind: 'wait'; untilMs: number } | { kind: 'line' } | { kind: 'probe' } | { kind: 'none' };

/**
 * For deliveries a claim passed over: a RETRYING one not yet due, one whose lease another worker
 * holds, or one held by its endpoint's open circuit until the next probe, can be tried again later;
 * a due one in a line wakes its line; anything else (settled, deleted, disabled webhook, stale job)
 * needs no job. Ordered lines are not held by the circuit breaker (they send one at a time already).
 */
export async function whyNotClaimed(sql: Sql, refs: DeliveryRef[]): Promise<Map<string, NotClaimed>> {
  const rows: { id: string; until_ms: number | null; waiting: boolean | null; in_line: boolean; held: boolean }[] = [];
  for (const [ids, counts] of runsOf(refs)) rows.push(...(await sql.query<(typeof rows)[number]>(WHY_NOT_CLAIMED([ids, counts]))).rows);
  const found = new Map(
    rows.map((r): [string, NotClaimed] => [
      r.id,
      r.waiting && r.until_ms !== null ? { kind: 'wait', untilMs: r.until_ms } : r.in_line ? { kind: 'line' } : { kind: 'probe' },
    ]),
  );
  return new Map(refs.map(([id]): [string, NotClaimed] => [id, found.get(id) ?? { kind: 'none' }]));
}

const WHY_NOT_CLAIMED = prepared(
  'hookpost.whyNotClaimed',
  `SELECT id, (EXTRACT(EPOCH FROM until) * 1000)::float8 AS until_ms, until > now()::timestamp AS waiting, in_line, held FROM (
       SELECT d.id, l.in_line, c.held,
              GREATEST(d.next_attempt_at, d.lease_until, CASE WHEN c.held THEN w.circuit_next_probe_at END) AS until
         FROM deliveries d
         JOIN webhooks w ON w.id = d.webhook_id
         CROSS JOIN LATERAL (SELECT w.ordered AND d.line_seq IS NOT NULL AS in_line) l
         CROSS JOIN LATERAL (SELECT NOT l.in_line AND w.circuit_state <> 'CLOSED' AND w.circuit_probe_delivery_id IS DISTINCT FROM d.id AS held) c
        WHERE ${BY_REF}
          AND d.status IN ('PENDING', 'RETRYING') AND w.active) s
      WHERE until > now()::timestamp OR in_line OR held`,
);

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
