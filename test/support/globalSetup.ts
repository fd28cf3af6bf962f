import { migrate } from '../../src/core/db/migrations.ts';
import { withAdmin } from './database.ts';
import { SERVER_URL, templateDatabase } from './env.ts';

/** Whether the run that named a database `hookpost_test_<pid>…` is still alive on this machine. */
function ownerAlive(datname: string): boolean {
  const pid = Number(/^hookpost_test_(\d+)/.exec(datname)?.[1]);
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds a freshly migrated template database for this run; each test file clones it
 * (CREATE DATABASE … TEMPLATE). Leftovers of runs that are gone are dropped; another live run's
 * databases are left alone.
 */
export default async function setup(): Promise<() => Promise<void>> {
  process.env.HOOKPOST_TEST_TEMPLATE_DB = `hookpost_test_${process.pid}`;
  const template = templateDatabase();
  await withAdmin(async (admin) => {
    const leftovers = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'hookpost\\_test%'");
    for (const { datname } of leftovers.rows) {
      if (!ownerAlive(datname)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  });
  await migrate(`${SERVER_URL}/${template}`);
  return async () => {
    await withAdmin(async (admin) => {
      const clones = `${template.replaceAll('_', '\\_')}\\_%`;
      const mine = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [clones]);
      for (const datname of [...mine.rows.map((r) => r.datname), template]) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    });
  };
}
