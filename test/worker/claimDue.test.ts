// The claim reads Postgres as the schedule: what it takes of each endpoint, and what it leaves.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPreparedPool, type Sql } from '../../src/core/db/sql.ts';
import { claimDue } from '../../worker/stages/claim.ts';
import { findDueWork } from '../../worker/stages/dueWork.ts';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';
import { SERVER_URL } from '../support/env.ts';

const LEASE_MS = 30_000;
let database: string;
let sql: Sql;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = createPreparedPool(`${SERVER_URL}/${database}`, 2);
  await sql.query(`INSERT INTO projects (id, name) VALUES ('p1', 'p')`);
});
afterAll(async () => {
  await sql?.end();
  await dropTestDatabase(database);
});

/** A webhook and `n` open deliveries to it, ids `<webhook>-<i>` in publish order. */
async function endpoint(id: string, n: number, columns: Record<string, unknown> = {}): Promise<void> {
  const names = Object.keys(columns);
  await sql.query(
    `INSERT INTO webhooks (id, project_id, url, secret_ciphertext, secret_key_id, secret_hint, updated_at, max_concurrency ${names.map((c) => `, ${c}`).join('')})
     VALUES ($1, 'p1', 'http://127.0.0.1:9/', 'c', 'k', 'h', now(), 3 ${names.map((_, i) => `, $${i + 2}`).join('')})`,
    [id, ...Object.values(columns)],
  );
  await sql.query(`INSERT INTO events (id, project_id, type, data) SELECT $1 || '-e' || n, 'p1', 'a.b', '{}' FROM generate_series(1, $2::int) AS n`, [id, n]);
  await sql.query(
    `INSERT INTO deliveries (id, project_id, event_id, webhook_id, updated_at, next_attempt_at)
     SELECT $1 || '-' || lpad(n::text, 3, '0'), 'p1', $1 || '-e' || n, $1, now(), now()::timestamp - make_interval(secs => 100 - n)
       FROM generate_series(1, $2::int) AS n`,
    [id, n],
  );
}

const ids = (claimed: { id: string }[]) => claimed.map((d) => d.id);

beforeEach(async () => {
  await sql.query('DELETE FROM deliveries');
  await sql.query('DELETE FROM events');
  await sql.query('DELETE FROM webhooks');
});

describe('claiming due deliveries', () => {
  it("takes each endpoint's oldest due deliveries up to its maxConcurrency less what this worker holds", async () => {
    await endpoint('wa', 5);
    await endpoint('wb', 5);
    const claimed = await claimDue(
      sql,
      [
        { webhookId: 'wa', held: 0 },
        { webhookId: 'wb', held: 2 },
      ],
      100,
      LEASE_MS,
    );
    expect(ids(claimed)).toEqual(['wa-001', 'wa-002', 'wa-003', 'wb-001']);
    // Leased now: a second claim takes the next ones, never the same.
    const again = await claimDue(sql, [{ webhookId: 'wa', held: 0 }], 100, LEASE_MS);
    expect(ids(again)).toEqual(['wa-004', 'wa-005']);
  });

  it('takes no more than the limit in all, endpoints in the order asked', async () => {
    await endpoint('wa', 5);
    await endpoint('wb', 5);
    const claimed = await claimDue(
      sql,
      [
        { webhookId: 'wb', held: 0 },
        { webhookId: 'wa', held: 0 },
      ],
      4,
      LEASE_MS,
    );
    expect(ids(claimed)).toEqual(['wa-001', 'wb-001', 'wb-002', 'wb-003']);
  });

  it('leaves what is not due yet, leased by another worker, settled, or in a line', async () => {
    await endpoint('wa', 6);
    await sql.query(`UPDATE deliveries SET next_attempt_at = now()::timestamp + interval '1 minute', status = 'RETRYING' WHERE id = 'wa-001'`);
    await sql.query(`UPDATE deliveries SET lease_until = now()::timestamp + interval '1 minute' WHERE id = 'wa-002'`);
    await sql.query(`UPDATE deliveries SET status = 'SUCCEEDED', next_attempt_at = NULL WHERE id = 'wa-003'`);
    await sql.query(`UPDATE deliveries SET line_seq = 1 WHERE id = 'wa-004'`);
    const claimed = await claimDue(sql, [{ webhookId: 'wa', held: 0 }], 100, LEASE_MS);
    expect(ids(claimed)).toEqual(['wa-005', 'wa-006']);
  });

  it('takes over a delivery whose lease ran out, and says so', async () => {
    await endpoint('wa', 2);
    await sql.query(`UPDATE deliveries SET lease_until = now()::timestamp - interval '1 second' WHERE id = 'wa-001'`);
    const claimed = await claimDue(sql, [{ webhookId: 'wa', held: 0 }], 100, LEASE_MS);
    expect(claimed.map((d) => [d.id, d.takenOver])).toEqual([
      ['wa-001', true],
      ['wa-002', false],
    ]);
  });

  it('gives nothing of a disabled webhook or an open circuit, and only its probe of a half-open one', async () => {
    await endpoint('off', 2, { active: false });
    await endpoint('open', 2, { circuit_state: 'OPEN', circuit_next_probe_at: new Date(0) });
    await endpoint('half', 3, { circuit_state: 'HALF_OPEN', circuit_probe_delivery_id: 'half-002' });
    const claimed = await claimDue(
      sql,
      ['off', 'open', 'half'].map((webhookId) => ({ webhookId, held: 0 })),
      100,
      LEASE_MS,
    );
    expect(ids(claimed)).toEqual(['half-002']);
  });

  it('skips rows another claim has locked instead of waiting for them', async () => {
    await endpoint('wa', 3);
    const other = await sql.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT id FROM deliveries WHERE id = 'wa-001' FOR UPDATE`);
      const claimed = await claimDue(sql, [{ webhookId: 'wa', held: 0 }], 100, LEASE_MS);
      expect(ids(claimed)).toEqual(['wa-002', 'wa-003']);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });
});

describe('finding due work', () => {
  it('names each endpoint with a due delivery once, lines apart, and how soon the next one is due', async () => {
    await endpoint('wa', 3);
    await endpoint('later', 1);
    await sql.query(`UPDATE deliveries SET next_attempt_at = now()::timestamp + interval '20 seconds', status = 'RETRYING' WHERE webhook_id = 'later'`);
    await endpoint('line', 2, { ordered: true });
    await sql.query(`UPDATE deliveries SET line_seq = nextval('deliveries_line_seq') WHERE webhook_id = 'line'`);
    await endpoint('open', 1, { circuit_state: 'OPEN', circuit_next_probe_at: new Date(0) });
    await endpoint('off', 1, { active: false });
    const due = await findDueWork(sql);
    expect(due.webhookIds).toEqual(['wa']);
    expect(due.lines).toEqual(['line']);
    expect(due.nextDueInMs).toBeGreaterThan(15_000);
    expect(due.nextDueInMs).toBeLessThanOrEqual(20_000);
  });
});
