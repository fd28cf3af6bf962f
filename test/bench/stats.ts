// `npm run bench:stats`: the insight queries on a million delivery attempts. Seeds a scratch database
// with SQL generate_series (500 000 events over 30 days, two deliveries each, one attempt per
// delivery; half of them on one hot webhook), then times Webhook.stats, Project.stats, the
// dead-letter count and filtered first pages as the API runs them, and prints EXPLAIN ANALYZE of the
// heaviest. Fails when a median misses its target.
import pg from 'pg';
import type { CoreDeps } from '../../src/core/deps.ts';
import { createDb } from '../../src/core/db/client.ts';
import { attemptWhere, deliveryWhere } from '../../src/api/services/insightFilters.ts';
import { attemptStats, backlog, type StatsWindow } from '../../src/api/services/stats.ts';
import globalSetup from '../support/globalSetup.ts';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';
import { SERVER_URL } from '../support/env.ts';
import { STATS_TARGET_MS } from './support/figures.ts';

const EVENTS = Number(process.env.BENCH_STATS_EVENTS ?? 500_000);
const RUNS = 7;

const SEED = /* SQL */ `
INSERT INTO projects (id, name) VALUES ('prj_bench', 'Bench'), ('prj_other', 'Other');
INSERT INTO webhooks (id, project_id, url, events, secret_ciphertext, secret_key_id, secret_hint, updated_at)
SELECT 'whk_bench_' || lpad(i::text, 3, '0'), CASE WHEN i < 50 THEN 'prj_bench' ELSE 'prj_other' END,
       'https://example.com/' || i, ARRAY['*'], 'x', 'k', 'hint', now()
  FROM generate_series(0, 59) AS i;

CREATE TEMP TABLE seed AS
SELECT i, ms, lpad(to_hex(ms), 12, '0') AS hex,
       CASE WHEN i % 10 = 0 THEN 'prj_other' ELSE 'prj_bench' END AS project_id,
       (ARRAY['order.created', 'order.shipped', 'invoice.paid', 'user.signup'])[1 + i % 4] AS type
  FROM (SELECT i, (extract(epoch FROM now()) * 1000)::bigint - (i::bigint * 30 * 86400000 / $1) AS ms
          FROM generate_series(1, $1) AS i) AS s;

INSERT INTO events (id, project_id, type, data, timestamp)
SELECT 'evt_' || hex || substr(md5(i::text), 1, 20), project_id, type, '{"n":1}',
       to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC'
  FROM seed;

-- Two deliveries per event: one to the project's hot webhook, one to another of its webhooks.
CREATE TEMP TABLE seed_deliveries AS
SELECT s.i, k, s.ms, s.hex, s.project_id,
       'dlv_' || s.hex || substr(md5(s.i::text || '-' || k), 1, 20) AS id,
       'evt_' || s.hex || substr(md5(s.i::text), 1, 20) AS event_id,
       CASE WHEN s.project_id = 'prj_bench'
            THEN 'whk_bench_' || lpad((CASE WHEN k = 0 THEN 0 ELSE 1 + s.i % 49 END)::text, 3, '0')
            ELSE 'whk_bench_' || lpad((50 + (s.i + k) % 10)::text, 3, '0') END AS webhook_id,
       random() AS r
  FROM seed AS s CROSS JOIN generate_series(0, 1) AS k;

INSERT INTO deliveries (id, project_id, event_id, webhook_id, status, attempt_count, created_at, updated_at)
SELECT id, project_id, event_id, webhook_id,
       (CASE WHEN r < 0.05 THEN 'FAILED' WHEN r < 0.06 THEN 'RETRYING' ELSE 'SUCCEEDED' END)::"DeliveryStatus", 1,
       to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC', to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC'
  FROM seed_deliveries;

INSERT INTO delivery_attempts (id, delivery_id, webhook_id, project_id, attempt_number, url, request_headers,
                               response_status, duration_ms, succeeded, created_at)
SELECT 'att_' || hex || substr(md5(i::text || '-' || k || 'a'), 1, 20), id, webhook_id, project_id, 1,
       'https://example.com/hook', '{}',
       CASE WHEN r < 0.03 THEN 500 WHEN r < 0.05 THEN NULL WHEN r < 0.06 THEN 404 ELSE 200 END,
       (5 + 2000 * power(random(), 6))::int, r >= 0.06,
       to_timestamp((ms + 40) / 1000.0) AT TIME ZONE 'UTC'
  FROM seed_deliveries;
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value!: T;
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    value = await fn();
    runs.push(performance.now() - t);
  }
  return { ms: median(runs), value };
}

const teardown = await globalSetup();
const database = await createTestDatabase();
const url = `${SERVER_URL}/${database}`;
const client = new pg.Client({ connectionString: url });
await client.connect();
const db = createDb(url, 4);
const failures: string[] = [];
try {
  let t = performance.now();
  await client.query(SEED.replaceAll('$1', String(EVENTS)));
  await client.query('VACUUM ANALYZE');
  const { rows } = await client.query('SELECT (SELECT count(*) FROM delivery_attempts)::int AS attempts, (SELECT count(*) FROM deliveries)::int AS deliveries');
  console.log(`seeded ${rows[0].attempts} attempts, ${rows[0].deliveries} deliveries, ${EVENTS} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const report = (what: string, ms: number, target: number, detail = '') => {
    console.log(`${what.padEnd(62)} ${ms.toFixed(1).padStart(7)} ms  ${detail}`);
    if (ms > target) failures.push(`${what}: ${ms.toFixed(1)} ms > ${target} ms`);
  };
  for (const window of ['LAST_HOUR', 'LAST_DAY', 'LAST_WEEK'] as StatsWindow[]) {
    const hot = await time(() => attemptStats(db, { webhookId: 'whk_bench_000' }, window));
    report(`Webhook.stats(${window}) hot webhook`, hot.ms, STATS_TARGET_MS.stats, `total ${hot.value.total}, p95 ${hot.value.p95LatencyMs?.toFixed(0)} ms`);
    const quiet = await time(() => attemptStats(db, { webhookId: 'whk_bench_007' }, window));
    report(`Webhook.stats(${window}) one of 49 others`, quiet.ms, STATS_TARGET_MS.stats, `total ${quiet.value.total}`);
    const project = await time(() => attemptStats(db, { projectId: 'prj_bench' }, window));
    report(`Project.stats(${window})`, project.ms, STATS_TARGET_MS.stats, `total ${project.value.total}, rate ${project.value.successRate?.toFixed(3)}`);
  }
  const open = await time(() => backlog(db, 'prj_bench'));
  report('Project.stats backlog (pending + retrying)', open.ms, STATS_TARGET_MS.count, `${open.value}`);

  const deps = { db } as CoreDeps;
  const viewer = { scope: 'PROJECT', keyId: 'key_bench', projectId: 'prj_bench' } as const;
  const dead = await time(async () => db.delivery.count({ where: await deliveryWhere(deps, viewer, { status: 'FAILED' }) }));
  report('deliveries(status: FAILED) { totalCount }', dead.ms, STATS_TARGET_MS.count, `${dead.value}`);
  const deadHook = await time(async () => db.delivery.count({ where: await deliveryWhere(deps, viewer, { status: 'FAILED', webhookId: 'whk_bench_000' }) }));
  report('deliveries(status: FAILED, webhookId: hot) { totalCount }', deadHook.ms, STATS_TARGET_MS.count, `${deadHook.value}`);
  const pages: [string, Parameters<typeof attemptWhere>[2]][] = [
    ['attempts(first: 50)', {}],
    ['attempts(first: 50, responseClass: HTTP_5XX)', { responseClass: 'HTTP_5XX' }],
    ['attempts(first: 50, eventType: "invoice.paid")', { eventType: 'invoice.paid' }],
    ['attempts(first: 50, webhookId: quiet, since: 20 days ago)', { webhookId: 'whk_bench_007', since: new Date(Date.now() - 20 * 86400_000) }],
  ];
  for (const [what, filter] of pages) {
    const page = await time(async () => db.deliveryAttempt.findMany({ where: await attemptWhere(deps, viewer, filter), orderBy: { id: 'desc' }, take: 51 }));
    report(what, page.ms, STATS_TARGET_MS.page, `${page.value.length} rows`);
  }
  const deliveriesPage = await time(async () =>
    db.delivery.findMany({ where: await deliveryWhere(deps, viewer, { status: 'FAILED', responseClass: 'HTTP_5XX' }), orderBy: { id: 'desc' }, take: 51 }),
  );
  report('deliveries(first: 50, status: FAILED, responseClass: HTTP_5XX)', deliveriesPage.ms, STATS_TARGET_MS.page, `${deliveriesPage.value.length} rows`);

  t = performance.now();
  const explain = await client.query(`EXPLAIN (ANALYZE, BUFFERS)
    SELECT count(*)::int, (count(*) FILTER (WHERE succeeded))::int,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms),
           max(created_at) FILTER (WHERE succeeded), max(created_at) FILTER (WHERE NOT succeeded)
      FROM delivery_attempts
     WHERE project_id = 'prj_bench'
       AND id >= 'att_' || lpad(to_hex((extract(epoch FROM now() - interval '7 days 5 minutes') * 1000)::bigint), 12, '0')
       AND created_at >= (now() - interval '7 days') AT TIME ZONE 'UTC'`);
  console.log('\nEXPLAIN ANALYZE Project.stats(LAST_WEEK):');
  for (const row of explain.rows) console.log(`  ${row['QUERY PLAN']}`);
  // The hot webhook's dead letters, as Prisma counts them: through deliveries_webhook_id_status_idx.
  const deadPlan = await client.query(`EXPLAIN (ANALYZE, BUFFERS)
    SELECT count(*) FROM deliveries
     WHERE project_id = 'prj_bench' AND webhook_id = 'whk_bench_000' AND status = 'FAILED'::"DeliveryStatus"`);
  console.log('\nEXPLAIN ANALYZE deliveries(status: FAILED, webhookId: hot) { totalCount }:');
  for (const row of deadPlan.rows) console.log(`  ${row['QUERY PLAN']}`);
} finally {
  await client.end();
  await db.$disconnect();
  await dropTestDatabase(database);
  await teardown();
}
if (failures.length) {
  console.error(`\nmissed targets:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nall medians within targets');
