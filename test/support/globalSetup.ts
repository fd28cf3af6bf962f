import { migrate } from '../../src/db/migrations.ts';
import { withAdmin } from './database.ts';
import { SERVER_URL, templateDatabase } from './env.ts';

/**
 * Builds a freshly migrated template database for this run; each test file clones it
 * (CREATE DATABASE … TEMPLATE). Leftovers of crashed runs are dropped, but never a database
 * another run is still connected to.
 */
export default async function setup(): Promise<() => Promise<void>> {
  process.env.HOOKPOST_TEST_TEMPLATE_DB = `hookpost_test_${process.pid}`;
  const template = templateDatabase();
  await withAdmin(async (admin) => {
    const leftovers = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'hookpost\\_test%'");
    for (const { datname } of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => {});
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
