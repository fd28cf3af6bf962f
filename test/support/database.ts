import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SERVER_URL, templateDatabase } from './env.ts';

/** Runs `fn` on a connection to the server's `postgres` database. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A private copy of the migrated template database for one test file. */
export async function createTestDatabase(): Promise<string> {
  const template = templateDatabase();
  const name = `${template}_${randomBytes(5).toString('hex')}`;
  await withAdmin(async (client) => {
    for (let tries = 0; ; tries++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (err) {
        // Two files cloning at the same instant: the template is briefly "in use".
        if (tries >= 20 || (err as { code?: string }).code !== '55006') throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
