// The hot-path statements run on generic plans, made once per connection and kept (src/core/db/sql.ts).
// A plan made on small tables must stay fit as they grow to millions of rows, so every table a plan
// reads must be reached through an index condition — never a sequential scan, nor a whole index
// read and filtered. Empty tables are the worst case: there a full scan costs the planner nothing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPreparedPool, preparedStatements, type Sql } from '../src/core/db/sql.ts';
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
      expect.arrayContaining(['hookpost.insertEvents', 'hookpost.claimDue', 'hookpost.record', 'hookpost.subscribers']),
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
