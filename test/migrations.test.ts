import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDb, type Db } from '../src/core/db/client.ts';
import { isPrismaError } from '../src/core/db/errors.ts';
import { ensureDatabase, migrate, readMigrations } from '../src/core/db/migrations.ts';
import { newId } from '../src/core/ids.ts';
import { dropTestDatabase } from './support/database.ts';
import { SERVER_URL, templateDatabase } from './support/env.ts';

const name = `${templateDatabase()}_mig_${process.pid}`;
const url = `${SERVER_URL}/${name}`;
let db: Db;

beforeAll(async () => {
  expect(await ensureDatabase(url)).toBe(true);
  expect(await ensureDatabase(url)).toBe(false);
  db = createDb(url, 2);
});
afterAll(async () => {
  await db.$disconnect();
  await dropTestDatabase(name);
});

describe('migration runner', () => {
  it('applies every migration once, with Prisma’s bookkeeping and checksums', async () => {
    const files = await readMigrations();
    const [first, second] = await Promise.all([migrate(url), migrate(url)]);
    // Two processes racing: the advisory lock lets one apply everything, the other finds nothing to do.
    expect([...first, ...second].sort()).toEqual(files.map((f) => f.name).sort());
    expect(await migrate(url)).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name');
    await client.end();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.rows.entries()) {
      expect(row.checksum).toBe(createHash('sha256').update(files[i].sql).digest('hex'));
      expect(row.finished_at).not.toBeNull();
    }
  });

  it('refuses a migration edited after it was applied, and rolls back a failing one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-mig-'));
    const scratch = `${name}_scratch`;
    const scratchUrl = `${SERVER_URL}/${scratch}`;
    await ensureDatabase(scratchUrl);
    onTestFinished(() => dropTestDatabase(scratch));
    await mkdir(path.join(dir, '001_a'));
    await writeFile(path.join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (id int);');
    expect(await migrate(scratchUrl, dir)).toEqual(['001_a']);
    await writeFile(path.join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (id bigint);');
    await expect(migrate(scratchUrl, dir)).rejects.toThrow(/edited/);
    await writeFile(path.join(dir, '001_a', 'migration.sql'), 'CREATE TABLE a (id int);');
    await mkdir(path.join(dir, '002_b'));
    await writeFile(path.join(dir, '002_b', 'migration.sql'), 'CREATE TABLE b (id int); SELECT * FROM nope;');
    await expect(migrate(scratchUrl, dir)).rejects.toThrow(/002_b failed/);
    const client = new pg.Client({ connectionString: scratchUrl });
    await client.connect();
    const b = await client.query("SELECT to_regclass('b') AS t");
    const applied = await client.query('SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name');
    await client.end();
    expect(b.rows[0].t).toBeNull();
    expect(applied.rows.map((r) => r.migration_name)).toEqual(['001_a']);
  });
});

describe('the migrated database is what the Prisma client expects', () => {
  it('creates, reads, updates and deletes every model', async () => {
    const project = await db.project.create({ data: { id: newId('Project'), name: 'p' } });
    const apiKey = await db.apiKey.create({
      data: { id: newId('ApiKey'), name: 'k', scope: 'PROJECT', projectId: project.id, keyHash: 'h'.repeat(64), keyHint: 'abcd' },
    });
    const webhook = await db.webhook.create({
      data: {
        id: newId('Webhook'),
        projectId: project.id,
        url: 'https://x',
        events: ['a.*', '*'],
        headers: { 'X-A': '1' },
        secretCiphertext: 'c',
        secretKeyId: 'k',
        secretHint: 'hint',
      },
    });
    const event = await db.event.create({ data: { id: newId('Event'), projectId: project.id, type: 'a.b', data: { z: 1, a: [true, null] } } });
    const delivery = await db.delivery.create({ data: { id: newId('Delivery'), projectId: project.id, eventId: event.id, webhookId: webhook.id } });
    const eventType = await db.eventType.create({
      data: { id: newId('EventType'), projectId: project.id, name: 'a.b', schema: { type: 'object', required: ['z'] }, example: { z: 1 } },
    });
    const attempt = await db.deliveryAttempt.create({
      data: {
        id: newId('DeliveryAttempt'),
        deliveryId: delivery.id,
        attemptNumber: 1,
        url: 'https://x',
        requestHeaders: { a: 'b' },
        responseStatus: 200,
        responseHeaders: { c: ['d', 'e'] },
        responseBody: 'ok',
        durationMs: 3,
        succeeded: true,
      },
    });

    const loaded = await db.delivery.findUniqueOrThrow({ where: { id: delivery.id }, include: { event: true, webhook: true, attempts: true } });
    expect(loaded.status).toBe('PENDING');
    expect(loaded.event.data).toEqual({ z: 1, a: [true, null] });
    expect(Object.keys(loaded.event.data as object)).toEqual(['z', 'a']);
    expect(loaded.webhook).toMatchObject({ events: ['a.*', '*'], active: true, timeoutSeconds: 30, headers: { 'X-A': '1' } });
    expect(loaded.attempts[0]).toMatchObject({ id: attempt.id, responseHeaders: { c: ['d', 'e'] } });
    expect(await db.project.findUniqueOrThrow({ where: { id: project.id } })).toMatchObject({ strictEventTypes: false });
    expect(eventType).toMatchObject({ deprecated: false, description: null, schema: { type: 'object', required: ['z'] } });
    // One type per name in a project.
    const sameName = await db.eventType.create({ data: { id: newId('EventType'), projectId: project.id, name: 'a.b' } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isPrismaError(sameName, 'P2002'), String(sameName)).toBe(true);

    const at = new Date('2026-01-02T03:04:05.678Z');
    const updated = await Promise.all([
      db.project.update({ where: { id: project.id }, data: { name: 'renamed' } }),
      db.apiKey.update({ where: { id: apiKey.id }, data: { revokedAt: at } }),
      db.webhook.update({ where: { id: webhook.id }, data: { active: false, consecutiveFailures: { increment: 2 }, retryPolicy: { schedule: [1] } } }),
      db.event.update({ where: { id: event.id }, data: { idempotencyKey: 'k1' } }),
      db.delivery.update({ where: { id: delivery.id }, data: { status: 'SUCCEEDED', attemptCount: 1, nextAttemptAt: at } }),
      db.deliveryAttempt.update({ where: { id: attempt.id }, data: { error: 'e' } }),
    ]);
    const reread = await Promise.all([
      db.project.findUniqueOrThrow({ where: { id: project.id } }),
      db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } }),
      db.webhook.findUniqueOrThrow({ where: { id: webhook.id } }),
      db.event.findUniqueOrThrow({ where: { id: event.id } }),
      db.delivery.findUniqueOrThrow({ where: { id: delivery.id } }),
      db.deliveryAttempt.findUniqueOrThrow({ where: { id: attempt.id } }),
    ]);
    expect(reread).toEqual(updated);
    expect(reread).toMatchObject([
      { name: 'renamed' },
      { revokedAt: at },
      { active: false, consecutiveFailures: 2, retryPolicy: { schedule: [1] } },
      { idempotencyKey: 'k1' },
      { status: 'SUCCEEDED', attemptCount: 1, nextAttemptAt: at },
      { error: 'e' },
    ]);
    // One row per attempt number of a delivery: the unique index refuses a second, as P2002.
    const duplicate = await db.deliveryAttempt.create({ data: { ...attempt, id: newId('DeliveryAttempt'), requestHeaders: {}, responseHeaders: {} } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isPrismaError(duplicate, 'P2002'), String(duplicate)).toBe(true);

    // Deleting a project removes everything below it.
    await db.project.delete({ where: { id: project.id } });
    for (const count of [db.apiKey.count(), db.webhook.count(), db.event.count(), db.eventType.count(), db.delivery.count(), db.deliveryAttempt.count()]) {
      expect(await count).toBe(0);
    }
  });
});
