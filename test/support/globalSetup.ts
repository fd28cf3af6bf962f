import pg from 'pg';
import { migrate } from '../../src/db/migrations.ts';
import { SERVER_URL, TEMPLATE_DATABASE } from './env.ts';

/** Builds a freshly migrated template database; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup() {
  const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  const leftovers = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'hookpost_test%'",
  );
  for (const { datname } of leftovers.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  await admin.end();
  await migrate(`${SERVER_URL}/${TEMPLATE_DATABASE}`);
}
