// The sensitive-headers migration on a database that already has attempts logged in the clear.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hintOf } from '../src/core/crypto/sensitiveHeaders.ts';
import { DEFAULT_MIGRATIONS_DIR, ensureDatabase, migrate, readMigrations } from '../src/core/db/migrations.ts';
import { dropTestDatabase } from './support/database.ts';
import { SERVER_URL, templateDatabase } from './support/env.ts';

const MIGRATION = '20261125180100_sensitive_headers';
const name = `${templateDatabase()}_shmig_${process.pid}`;
const url = `${SERVER_URL}/${name}`;
let dir: string;
let client: pg.Client;

beforeAll(async () => {
  // Every migration before this one, applied to a fresh database.
  dir = await mkdtemp(path.join(tmpdir(), 'hookpost-shmig-'));
  for (const m of await readMigrations()) {
    if (m.name < MIGRATION) await cp(path.join(DEFAULT_MIGRATIONS_DIR, m.name), path.join(dir, m.name), { recursive: true });
  }
  await ensureDatabase(url);
  await migrate(url, dir);
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await dropTestDatabase(name);
  await rm(dir, { recursive: true, force: true });
});

describe(MIGRATION, () => {
  it('redacts old attempt logs to the hints the service shows, and leaves webhooks working', async () => {
    const sent = {
      Authorization: 'Bearer old-plaintext-token-9876',
      'X-Api-Key': 'short',
      Cookie: 'session=abcdefgh',
      'X-Tenant': 'acme',
      'webhook-id': 'evt_1',
    };
    await client.query(`
      INSERT INTO projects (id, name) VALUES ('prj_1', 'p');
      INSERT INTO webhooks (id, project_id, url, events, headers, secret_ciphertext, secret_key_id, secret_hint, updated_at)
        VALUES ('whk_1', 'prj_1', 'https://x', '{*}', '{"Authorization": "Bearer old-plaintext-token-9876"}', 'c', 'k', 'h', now());
      INSERT INTO events (id, project_id, type, data) VALUES ('evt_1', 'prj_1', 'a.b', '{}');
      INSERT INTO deliveries (id, project_id, event_id, webhook_id, updated_at) VALUES ('dlv_1', 'prj_1', 'evt_1', 'whk_1', now());`);
    await client.query(
      `INSERT INTO delivery_attempts (id, delivery_id, attempt_number, url, request_headers, duration_ms, succeeded)
       VALUES ('att_1', 'dlv_1', 1, 'https://x', $1, 1, true)`,
      [JSON.stringify(sent)],
    );

    // This migration alone (later ones run over it in every other test).
    await cp(path.join(DEFAULT_MIGRATIONS_DIR, MIGRATION), path.join(dir, MIGRATION), { recursive: true });
    expect(await migrate(url, dir)).toEqual([MIGRATION]);
    const attempt = await client.query('SELECT request_headers FROM delivery_attempts');
    expect(attempt.rows[0].request_headers).toEqual({
      Authorization: hintOf(sent.Authorization),
      'X-Api-Key': hintOf('short'),
      Cookie: hintOf(sent.Cookie),
      'X-Tenant': 'acme',
      'webhook-id': 'evt_1',
    });
    expect(hintOf(sent.Authorization)).toBe('••••9876');
    expect(hintOf('short')).toBe('••••t');
    // The webhook keeps its value until the API seals it on start (SQL has no key).
    const webhook = await client.query('SELECT headers, sensitive_headers, headers_ciphertext FROM webhooks');
    expect(webhook.rows[0]).toEqual({ headers: { Authorization: sent.Authorization }, sensitive_headers: [], headers_ciphertext: null });
  });
});
