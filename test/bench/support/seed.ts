import type pg from 'pg';
import type { Progress } from './log.ts';

// A history of `count` events, each with one delivery (spread over the given webhooks) and its
// attempts, written with generate_series the way the service would have left them: ids are the
// prefix + 12 hex digits of milliseconds + 20 more, as newId's UUIDv7 hex, so they sort by time.
// Every 100th delivery is dead-lettered after 3 attempts (spread over the webhooks too); the rest
// succeeded at the first. None is open, so nothing seeded is picked up by the worker.

const DAY_MS = 86_400_000;
const CHUNK = 100_000;

/** SQL for a time-ordered id: `ms` and `salt` are SQL expressions. */
const idSql = (prefix: string, ms: string, salt: string) => `'${prefix}_' || lpad(to_hex(${ms}), 12, '0') || '7' || substr(md5(${salt}), 1, 19)`;
/** Milliseconds of event i. */
const MS = '(p.first_ms + i * p.step_ms)';
const UTC = (ms: string) => `(to_timestamp((${ms}) / 1000.0) AT TIME ZONE 'UTC')`;
const EVENT_ID = idSql('evt', MS, `'e' || i`);
const DELIVERY_ID = idSql('dlv', `${MS} + 5`, `'d' || i`);
const FAILED = 'i % 100 = 0';

// Every statement gets the same parameters, typed once here; i runs over one chunk.
const PARAMS = `WITH p AS (SELECT $1::bigint AS first_ms, $2::bigint AS step_ms, $3::text AS project_id, $4::text[] AS webhooks)`;
const ROWS = 'FROM p, generate_series($5::bigint, $6::bigint) AS i';
const STATEMENTS = [
  `${PARAMS} INSERT INTO events (id, project_id, type, data, timestamp)
   SELECT ${EVENT_ID}, p.project_id, 'bench.seeded', json_build_object('seq', i, 'pad', repeat('x', 200)), ${UTC(MS)}
   ${ROWS}`,
  `${PARAMS} INSERT INTO deliveries (id, project_id, event_id, webhook_id, status, attempt_count, created_at, updated_at)
   SELECT ${DELIVERY_ID}, p.project_id, ${EVENT_ID}, p.webhooks[(1 + (i + i / 100) % cardinality(p.webhooks))::int],
          (CASE WHEN ${FAILED} THEN 'FAILED' ELSE 'SUCCEEDED' END)::"DeliveryStatus",
          CASE WHEN ${FAILED} THEN 3 ELSE 1 END, ${UTC(`${MS} + 5`)}, ${UTC(`${MS} + 5 + 60000 * (CASE WHEN ${FAILED} THEN 2 ELSE 0 END)`)}
   ${ROWS}`,
  `${PARAMS} INSERT INTO delivery_attempts (id, delivery_id, attempt_number, url, request_headers, response_status,
          response_headers, response_body, duration_ms, error, succeeded, created_at)
   SELECT ${idSql('att', `${MS} + 30000 * (n - 1) + 20`, `'a' || i || '.' || n`)}, ${DELIVERY_ID}, n, 'http://127.0.0.1/seeded',
          '{"content-type": "application/json", "user-agent": "Hookpost-Webhooks/1.0"}'::jsonb,
          CASE WHEN ${FAILED} THEN 500 ELSE 200 END, '{"content-type": "text/plain"}'::jsonb,
          CASE WHEN ${FAILED} THEN 'error' ELSE 'ok' END, 5 + i % 40,
          CASE WHEN ${FAILED} THEN 'HTTP 500' END, NOT (${FAILED}), ${UTC(`${MS} + 30000 * (n - 1) + 20`)}
   ${ROWS}, generate_series(1, CASE WHEN ${FAILED} THEN 3 ELSE 1 END) AS n`,
];

export async function seedHistory(db: pg.Pool, projectId: string, webhookIds: string[], count: number, progress: Progress): Promise<void> {
  const firstMs = Date.now() - 30 * DAY_MS;
  const stepMs = Math.max(1, Math.floor((29 * DAY_MS) / count));
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    for (const sql of STATEMENTS) await db.query(sql, [firstMs, stepMs, projectId, webhookIds, from, to]);
    progress(`seeded ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} events with their deliveries and attempts`);
  }
  // As autovacuum would after such a load: planner statistics that know the tables' size. Then a
  // checkpoint, as a database that grew over a month has written its pages out long ago: without
  // it the checkpointer writes the load's gigabyte of dirty pages during the measurement.
  await db.query('VACUUM ANALYZE events, deliveries, delivery_attempts');
  await db.query('CHECKPOINT');
}
