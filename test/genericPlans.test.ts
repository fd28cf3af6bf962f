// The hot-path statements run on generic plans, made once per connection and kept (src/core/db/sql.ts).
// A plan made on small tables must stay fit as they grow to millions of rows, so every table a plan
// reads must be reached through an index condition — never a sequential scan, nor a whole index
// read and filtered. Empty tables are the worst case: there a full scan costs the planner nothing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPreparedPool, preparedStatements, type Sql } from '../src/core/db/sql.ts';
import { claimDeliveries, whyNotClaimed } from '../worker/stages/claim.ts';
import { createTestDatabase, dropTestDatabase } from './support/database.ts';
import { SERVER_URL } from './support/env.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Source files that define prepared statements, so that a new one is checked without listing it here. */
async function filesDefiningStatements(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['src', 'worker']) {
    for (const entry of await readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.parentPath.includes('generated')) continue;
      const file = path.join(entry.parentPath, entry.name);
      if (/\bprepared\(\s*'/.test(await readFile(file, 'utf8'))) found.push(file);
    }
  }
  return found;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Join Filter'?: string;
  Plans?: PlanNode[];
}

const TABLE_READS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Index Scan', 'Sample Scan']);
/** Inner sides a nested loop would read whole again for each outer row. */
const REREAD = new Set(['Function Scan', 'CTE Scan', 'Materialize', 'Seq Scan', 'Values Scan']);

/**
 * Every way a plan reads more than it looks up: a table read without an index condition, or with a
 * range only (`id > $1` may bound nothing), and a nested loop that filters a whole list for each
 * row (the old claim joined its ids so: quadratic in a fan-out's thousand).
 */
function unindexedReads(node: PlanNode, found: string[] = []): string[] {
  const type = node['Node Type'];
  const on = node['Relation Name'] ?? node['Index Name'];
  if (TABLE_READS.has(type) && !node['Index Cond']) found.push(`${type} on ${on}`);
  else if (TABLE_READS.has(type) && !/ = /.test(node['Index Cond']!)) found.push(`${type} on ${on} by a range only`);
  const inner = node.Plans?.[1];
  if (type === 'Nested Loop' && node['Join Filter'] && inner && REREAD.has(inner['Node Type'])) {
    found.push(`Nested Loop filtering a ${inner['Node Type']} for each row`);
  }
  for (const child of node.Plans ?? []) unindexedReads(child, found);
  return found;
}

let database: string;
let sql: Sql;

beforeAll(async () => {
  for (const file of await filesDefiningStatements()) await import(pathToFileURL(file).href);
  database = await createTestDatabase();
  sql = createPreparedPool(`${SERVER_URL}/${database}`, 1);
});
afterAll(async () => {
  await sql?.end();
  await dropTestDatabase(database);
});

describe('generic plans of the hot-path statements', () => {
  it('finds the statements', () => {
    expect([...preparedStatements.keys()]).toEqual(
      expect.arrayContaining(['hookpost.insertEvents', 'hookpost.claim', 'hookpost.record', 'hookpost.subscribers']),
    );
  });

  it('the pool plans them generically', async () => {
    const { rows } = await sql.query('SHOW plan_cache_mode');
    expect(rows[0].plan_cache_mode).toBe('force_generic_plan');
  });

  it('read every table through an index condition, on empty tables', async () => {
    const client = await sql.connect();
    const problems: Record<string, string[]> = {};
    try {
      for (const [name, text] of preparedStatements) {
        const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        const id = `check_${name.replace(/\W/g, '_')}`;
        await client.query(`PREPARE ${id} AS ${text}`);
        const args = params ? `(${Array(params).fill('NULL').join(', ')})` : '';
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) EXECUTE ${id}${args}`);
        const found = unindexedReads(rows[0]['QUERY PLAN'][0].Plan);
        if (found.length) problems[name] = found;
      }
    } finally {
      client.release(true);
    }
    expect(problems).toEqual({});
  });
});

describe('claiming by position in the list', () => {
  const LEASE_MS = 30_000;

  beforeAll(async () => {
    await sql.query(`INSERT INTO projects (id, name) VALUES ('p1', 'p')`);
    await sql.query(`INSERT INTO webhooks (id, project_id, url, secret_ciphertext, secret_key_id, secret_hint, updated_at)
                     VALUES ('w1', 'p1', 'http://127.0.0.1:9/', 'c', 'k', 'h', now())`);
    await sql.query(`INSERT INTO events (id, project_id, type, data) SELECT 'e' || n, 'p1', 'a.b', '{}' FROM generate_series(1, 604) AS n`);
    await sql.query(`INSERT INTO deliveries (id, project_id, event_id, webhook_id, attempt_count, updated_at)
                     SELECT 'd' || n, 'p1', 'e' || n, 'w1', CASE WHEN n <= 4 THEN n % 3 ELSE 0 END, now() FROM generate_series(1, 604) AS n`);
  });

  it('claims each delivery whose job names its attempt count, also when a list names it twice', async () => {
    // d1 has made 1 attempt, d2 2, d3 none: the first ref of d1 and the second of d2 are stale.
    const claimed = await claimDeliveries(
      sql,
      [
        ['d1', 'w1', 0],
        ['d2', 'w1', 2],
        ['d1', 'w1', 1],
        ['d2', 'w1', 0],
        ['d3', 'w1', 0],
        ['d4', 'w1', 0],
      ],
      LEASE_MS,
    );
    expect(claimed.map((d) => [d.id, d.attemptCount])).toEqual([
      ['d1', 1],
      ['d2', 2],
      ['d3', 0],
    ]);
  });

  it('claims a list longer than one statement takes', async () => {
    const refs: [string, string, number][] = Array.from({ length: 600 }, (_, i) => [`d${i + 5}`, 'w1', 0]);
    const claimed = await claimDeliveries(sql, refs, LEASE_MS);
    expect(claimed.map((d) => d.id).sort()).toEqual(refs.map(([id]) => id).sort());
  });

  it('says why the others were not claimed', async () => {
    // d1 is leased now (wait); d4 names a stale attempt and d999 no delivery (no job needed).
    const reasons = await whyNotClaimed(sql, [
      ['d1', 'w1', 1],
      ['d4', 'w1', 0],
      ['d999', 'w1', 0],
      ['d1', 'w1', 1],
    ]);
    expect(reasons.get('d1')).toMatchObject({ kind: 'wait' });
    expect(reasons.get('d4')).toEqual({ kind: 'none' });
    expect(reasons.get('d999')).toEqual({ kind: 'none' });
  });
});
