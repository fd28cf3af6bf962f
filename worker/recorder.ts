import type { Logger } from 'pino';
import { createBatcher } from '../src/core/batcher.ts';
import { prepared, type Sql, utcTimestamp } from '../src/core/db/sql.ts';
import type { CircuitState, CircuitView } from '../src/core/delivery/circuit.ts';
import type { Outcome } from '../src/core/delivery/outcome.ts';
import { attemptError, type SendResult } from '../src/core/delivery/sendResult.ts';

export interface AttemptRecord {
  attemptId: string;
  deliveryId: string;
  webhookId: string;
  projectId: string;
  attemptNumber: number;
  url: string;
  requestHeaders: Record<string, string>;
  result: SendResult;
  outcome: Outcome;
  at: Date;
}

/**
 * What recording left behind: the webhook's failure streak after the batch and, when the streak
 * moved, its circuit as the same statement left it (a success on a clean streak reads nothing, so
 * a healthy endpoint costs no extra read) — or that the attempt was logged already.
 */
export type Recorded = { failureStreak: number; circuit: CircuitView | null } | { duplicate: true };

export interface Recorder {
  /** `now`: written without waiting for company (the outcome decides what goes next). */
  record(r: AttemptRecord, opts?: { now?: boolean }): Promise<Recorded>;
  drain(): Promise<void>;
}

// Postgres text cannot hold NUL; a receiver's body or header may carry one.
const clean = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);
const jsonText = (v: unknown) => (v == null ? null : clean(JSON.stringify(v)));

/** Per webhook, what a batch does to its failure streak: a success resets it, failures after the last success add up. */
export function streakChanges(records: AttemptRecord[]): Map<string, { reset: boolean; tail: number }> {
  const byWebhook = new Map<string, { reset: boolean; tail: number }>();
  for (const r of records) {
    const s = byWebhook.get(r.webhookId) ?? { reset: false, tail: 0 };
    if (r.outcome.status === 'SUCCEEDED') byWebhook.set(r.webhookId, { reset: true, tail: 0 });
    else byWebhook.set(r.webhookId, { reset: s.reset, tail: s.tail + 1 });
  }
  return byWebhook;
}

const RECORD = prepared(
  'hookpost.record',
  `
WITH v AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::int[], $7::jsonb[], $8::text[],
                       $9::int[], $10::text[], $11::bool[], $12::text[], $13::timestamp[], $14::timestamp[],
                       $18::text[], $19::text[])
    AS v(attempt_id, delivery_id, n, url, request_headers, response_status, response_headers, response_body,
         duration_ms, error, succeeded, status, next_at, created_at, webhook_id, project_id)),
ins AS (
  INSERT INTO delivery_attempts (id, delivery_id, attempt_number, url, request_headers, response_status,
                                 response_headers, response_body, duration_ms, error, succeeded, created_at,
                                 webhook_id, project_id)
  SELECT attempt_id, delivery_id, n, url, request_headers, response_status, response_headers, response_body,
         duration_ms, error, succeeded, created_at, webhook_id, project_id FROM v
  ON CONFLICT (delivery_id, attempt_number) DO NOTHING
  RETURNING id),
upd AS (
  UPDATE deliveries d
     SET attempt_count = v.n, status = v.status::"DeliveryStatus", next_attempt_at = v.next_at,
         lease_until = NULL, updated_at = v.created_at
    FROM v JOIN ins ON ins.id = v.attempt_id
   WHERE d.id = v.delivery_id),
streak AS (
  UPDATE webhooks w
     SET consecutive_failures = CASE WHEN s.reset THEN s.tail ELSE w.consecutive_failures + s.tail END
    FROM unnest($15::text[], $16::bool[], $17::int[]) AS s(webhook_id, reset, tail)
   WHERE w.id = s.webhook_id AND NOT (s.reset AND s.tail = 0 AND w.consecutive_failures = 0)
  RETURNING w.id, w.consecutive_failures, w.circuit_state, w.circuit_cooldown_seconds, w.circuit_probe_delivery_id)
SELECT 'attempt' AS kind, id, 0 AS streak, NULL AS circuit_state, NULL::float8 AS circuit_cooldown_seconds, NULL AS circuit_probe_delivery_id FROM ins
UNION ALL SELECT 'webhook', id, consecutive_failures, circuit_state, circuit_cooldown_seconds, circuit_probe_delivery_id FROM streak`,
);

function params(records: AttemptRecord[]): unknown[] {
  const streaks = [...streakChanges(records)];
  const col = <T>(f: (r: AttemptRecord) => T) => records.map(f);
  return [
    col((r) => r.attemptId),
    col((r) => r.deliveryId),
    col((r) => r.attemptNumber),
    col((r) => r.url),
    col((r) => JSON.stringify(r.requestHeaders)),
    col((r) => r.result.status),
    col((r) => jsonText(r.result.headers)),
    col((r) => (r.result.body === null ? null : clean(r.result.body))),
    col((r) => r.result.durationMs),
    col((r) => attemptError(r.result)),
    col((r) => r.outcome.status === 'SUCCEEDED'),
    col((r) => r.outcome.status),
    col((r) => (r.outcome.status === 'RETRYING' ? utcTimestamp(new Date(r.at.getTime() + r.outcome.delayMs)) : null)),
    col((r) => utcTimestamp(r.at)),
    streaks.map(([id]) => id),
    streaks.map(([, s]) => s.reset),
    streaks.map(([, s]) => s.tail),
    col((r) => r.webhookId),
    col((r) => r.projectId),
  ];
}

interface RecordedRow {
  kind: 'attempt' | 'webhook';
  id: string;
  streak: number;
  circuit_state: string | null;
  circuit_cooldown_seconds: number | null;
  circuit_probe_delivery_id: string | null;
}

/**
 * Attempts are logged after their receiver answered, so waiting here delays the log, the live
 * streams and a lease's release, not a delivery; a failure, which may hold its endpoint or disable
 * it, is written at once (the dispatcher asks). Each write costs Postgres about as much as several
 * more rows in it, so a few milliseconds of waiting buy fewer, fuller writes under load.
 */
const RECORD_LINGER_MS = 5;

const isIntegrityError = (err: unknown) => /^23/.test(String((err as { code?: unknown }).code ?? ''));

/**
 * Group commit for attempts: every attempt that finishes while a write is under way goes into the
 * next one — the attempt rows, the deliveries' new states and the webhooks' failure streaks in one
 * statement. An attempt number logged already (another run of the same delivery) is skipped, never
 * logged twice. When Postgres is away the batch is retried until it lands: an attempt is not lost
 * while the process lives, and the delivery's lease keeps others from sending it meanwhile.
 */
export function createRecorder(deps: { sql: Sql; logger: Logger }): Recorder {
  async function write(records: AttemptRecord[]): Promise<Recorded[]> {
    const { rows } = await deps.sql.query<RecordedRow>(RECORD(params(records)));
    const logged = new Set(rows.filter((r) => r.kind === 'attempt').map((r) => r.id));
    const webhooks = new Map(rows.filter((r) => r.kind === 'webhook').map((r) => [r.id, r]));
    return records.map((r): Recorded => {
      if (!logged.has(r.attemptId)) return { duplicate: true };
      const w = webhooks.get(r.webhookId);
      if (!w) return { failureStreak: 0, circuit: null };
      const circuit = { state: w.circuit_state as CircuitState, cooldownSeconds: w.circuit_cooldown_seconds, probeDeliveryId: w.circuit_probe_delivery_id };
      return { failureStreak: w.streak, circuit };
    });
  }

  async function flush(records: AttemptRecord[]): Promise<Recorded[]> {
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        return await write(records);
      } catch (err) {
        // One bad row (its delivery deleted with its webhook) must not sink the others: write them one by one.
        if (isIntegrityError(err))
          return Promise.all(
            records.map((r) =>
              write([r]).then(
                ([one]) => one,
                () => ({ duplicate: true }) as const,
              ),
            ),
          );
        deps.logger.error({ err, attempts: records.length }, 'recording attempts failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  // One write at a time: two concurrent batches updating the same webhooks' streaks could deadlock.
  // A short batch waits up to RECORD_LINGER_MS for more (see there).
  const batcher = createBatcher(flush, { maxBatch: 500, lingerMs: RECORD_LINGER_MS });
  return { record: (r, opts) => batcher.submit(r, opts), drain: () => batcher.drain() };
}
