import { migrate } from '../../../src/core/db/migrations.ts';
import { withAdmin } from '../../support/database.ts';

export const PG_SERVER = 'postgresql://postgres@127.0.0.1:5432';

/** Every database the bench created and has not dropped yet, for an interrupted run. */
const created = new Set<string>();
const TEMPLATE = `hookpost_bench_${process.pid}_template`;
let templateReady: Promise<void> | undefined;

async function create(name: string, template?: string): Promise<string> {
  created.add(name);
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  return `${PG_SERVER}/${name}`;
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  created.delete(name);
}

/** An empty database of the bench's own (the durable floor's scratch tables). */
export const createScratchDatabase = (name: string): Promise<string> => create(name);

/**
 * A stack's database, already migrated: a copy of a template migrated once per run, so that the
 * API's own migration at start finds nothing to do and a stack comes up seconds sooner. What the
 * stack runs on is the same either way.
 */
export async function createStackDatabase(name: string): Promise<string> {
  templateReady ??= create(TEMPLATE).then(async (url) => {
    await migrate(url);
  });
  await templateReady;
  return create(name, TEMPLATE);
}

export async function dropAllDatabases(): Promise<void> {
  for (const name of [...created]) await dropDatabase(name).catch(() => {});
}
