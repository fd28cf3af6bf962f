// The README's first command: `npm start` on a machine where the database does not exist yet.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { dropTestDatabase, withAdmin } from '../support/database.ts';
import { SERVER_URL, templateDatabase } from '../support/env.ts';
import { exited, freePort, spawnEntry } from '../support/processes.ts';
import { startReceiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const database = `${templateDatabase()}_start_${process.pid}`;
afterAll(() => dropTestDatabase(database));

async function gql(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: any; errors?: unknown[] };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

describe('npm start', () => {
  it('creates the database, migrates, prints an admin key once, serves the API and delivers', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATABASE_URL: `${SERVER_URL}/${database}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      HOOKPOST_REDIS_PREFIX: `hookpost-start-${process.pid}`,
      HOOKPOST_ENCRYPTION_KEY_FILE: path.join(await mkdtemp(path.join(tmpdir(), 'hookpost-start-')), 'encryption.key'),
      HOOKPOST_ALLOWED_NETWORKS: '127.0.0.0/8',
      LOG_LEVEL: 'info',
    };
    const url = `http://127.0.0.1:${port}`;
    const databaseExists = async () => (await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]))).rowCount === 1;
    expect(await databaseExists()).toBe(false);
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const service = spawnEntry('dist/server/start.js', env);
    onTestFinished(async () => {
      service.kill('SIGKILL');
      await exited(service);
    });
    await waitUntil(() => service.output().includes('Hookpost is listening'), 60_000, 'the service to listen');
    expect(await databaseExists()).toBe(true);
    const adminKey = /hpk_[A-Za-z0-9_-]{43}/.exec(service.output())?.[0];
    expect(adminKey, service.output()).toBeDefined();

    const { createProject } = await gql(url, adminKey!, `mutation { createProject(input: { name: "Acme" }) { project { id } } }`);
    const { createApiKey } = await gql(url, adminKey!, `mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "backend" }) { key } }`, {
      p: createProject.project.id,
    });
    await gql(url, createApiKey.key, `mutation($u: String!) { createWebhook(input: { url: $u, events: ["order.*"] }) { webhook { id } } }`, {
      u: receiver.url,
    });
    await gql(url, createApiKey.key, `mutation { publishEvent(input: { type: "order.shipped", data: { orderId: "ord_42" } }) { deliveryCount } }`);
    const [req] = await receiver.waitFor(1, 20_000);
    expect(JSON.parse(req.body)).toMatchObject({ type: 'order.shipped', data: { orderId: 'ord_42' } });

    service.kill('SIGTERM');
    expect(await exited(service)).toBe(0);

    // A second start finds everything in place and prints no new key.
    const again = spawnEntry('dist/server/start.js', env);
    onTestFinished(async () => {
      again.kill('SIGTERM');
      await exited(again);
    });
    await waitUntil(() => again.output().includes('Hookpost is listening'), 60_000, 'the second start');
    expect(again.output()).not.toContain('hpk_');
    expect((await gql(url, adminKey!, `{ projects { edges { node { id } } } }`)).projects.edges).toHaveLength(1);
  }, 120_000);

  it('refuses to start in production without an encryption key, and says why', async () => {
    const service = spawnEntry('dist/server/start.js', {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: `${SERVER_URL}/${database}`,
      PORT: String(await freePort()),
    });
    expect(await exited(service)).not.toBe(0);
    expect(service.output()).toContain('hookpost: cannot start: HOOKPOST_ENCRYPTION_KEY is required in production');
    expect(service.output()).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);
});
