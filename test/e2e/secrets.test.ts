import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { verifyWebhook } from 'hookpost/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { resolveEncryptionKeys } from '../../src/core/crypto/encryptionKeys.ts';
import { reencryptSecrets } from '../../src/core/crypto/reencrypt.ts';
import { createSecretBox, keyIdOf } from '../../src/core/crypto/secretBox.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY, TEST_ENCRYPTION_KEY } from '../support/env.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

let h: Harness;
let receiver: Receiver;
let project: { projectId: string; key: string };

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  project = await h.createProject('Secrets');
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

const ROTATE = `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { secret webhook { secretHint previousSecretExpiresAt } } }`;

async function deliverOne(type: string) {
  const before = receiver.requests.length;
  await h.ok(PUBLISH_EVENT, { input: { type, data: { at: Date.now() } } }, project.key);
  return (await receiver.waitFor(before + 1))[before];
}

const verifies = (secret: string, req: { body: string; headers: Record<string, unknown> }) => {
  try {
    new StandardWebhook(secret).verify(req.body, req.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
};

describe('secret rotation', () => {
  it('signs with both secrets during the grace period and only the new one after it', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['rot.*'] } }, project.key);
    const webhookId = createWebhook.webhook.id;
    const oldSecret = createWebhook.secret;
    const asked = Date.now();
    const { rotateWebhookSecret } = await h.ok(ROTATE, { input: { id: webhookId, gracePeriodSeconds: 3600 } }, project.key);
    const answered = Date.now();
    const newSecret = rotateWebhookSecret.secret;
    expect(newSecret).not.toBe(oldSecret);
    expect(rotateWebhookSecret.webhook.secretHint).toBe(newSecret.slice(-4));
    const expiresAt = Date.parse(rotateWebhookSecret.webhook.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(asked + 3600_000);
    expect(expiresAt).toBeLessThanOrEqual(answered + 3600_000);

    const during = await deliverOne('rot.during');
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, during)).toBe(true);
    expect(verifies(newSecret, during)).toBe(true);
    // The branded header (one HMAC) stays the old secret's: a receiver checking one secret has that one.
    expect(during.headers['x-hookpost-signature']).toBe(`sha256=${createHmac('sha256', oldSecret).update(during.body).digest('hex')}`);

    // The grace period ends: its end is moved into the past (this file's own database) rather than waited for.
    await h.deps.db.webhook.update({ where: { id: webhookId }, data: { previousSecretExpiresAt: new Date(Date.now() - 1000) } });
    const after = await deliverOne('rot.after');
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(verifies(oldSecret, after)).toBe(false);
    expect(after.headers['x-hookpost-signature']).toBe(`sha256=${createHmac('sha256', newSecret).update(after.body).digest('hex')}`);
  });

  it('finishWebhookSecretRotation ends the grace period now: the next delivery is signed by the new secret alone', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['fin.*'] } }, project.key);
    const webhookId = createWebhook.webhook.id;
    const { rotateWebhookSecret } = await h.ok(ROTATE, { input: { id: webhookId } }, project.key);
    const newSecret = rotateWebhookSecret.secret;
    const during = await deliverOne('fin.during');
    expect(during.headers['x-hookpost-signature']).toBe(`sha256=${createHmac('sha256', createWebhook.secret).update(during.body).digest('hex')}`);
    const FINISH = `mutation($id: ID!) { finishWebhookSecretRotation(input: { id: $id }) { webhook { id previousSecretExpiresAt secretHint } } }`;
    const { finishWebhookSecretRotation } = await h.ok(FINISH, { id: webhookId }, project.key);
    expect(finishWebhookSecretRotation.webhook).toEqual({ id: webhookId, previousSecretExpiresAt: null, secretHint: newSecret.slice(-4) });
    const after = await deliverOne('fin.after');
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(after.headers['x-hookpost-signature']).toBe(`sha256=${createHmac('sha256', newSecret).update(after.body).digest('hex')}`);
    // Finishing again changes nothing.
    expect((await h.ok(FINISH, { id: webhookId }, project.key)).finishWebhookSecretRotation.webhook.secretHint).toBe(newSecret.slice(-4));
  });

  it('a grace period of 0 ends the old secret at once; a given secret is validated', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['now.*'] } }, project.key);
    const bad = await h.gql(ROTATE, { input: { id: createWebhook.webhook.id, secret: 'short' } }, project.key);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const { rotateWebhookSecret } = await h.ok(
      ROTATE,
      { input: { id: createWebhook.webhook.id, secret: 'my-own-new-secret-value', gracePeriodSeconds: 0 } },
      project.key,
    );
    expect(rotateWebhookSecret.secret).toBe('my-own-new-secret-value');
    const req = await deliverOne('now.only');
    expect(verifies(Buffer.from('my-own-new-secret-value').toString('base64'), req)).toBe(true);
    expect(verifies(createWebhook.secret, req)).toBe(false);
  });
});

describe('hookpost/verify against real deliveries', () => {
  it('verifies what the worker sent, with one or several secrets', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['verify.*'] } }, project.key);
    const req = await deliverOne('verify.me');
    const event = verifyWebhook(req.body, req.headers, createWebhook.secret);
    expect(event).toMatchObject({ type: 'verify.me', project_id: project.projectId });
    expect(() => verifyWebhook(req.body, req.headers, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(/no signature matches/);
    expect(verifyWebhook(req.body, req.headers, ['whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', createWebhook.secret]).id).toBe(event.id);
  });
});

const unpadded = (base64: string) => base64.replace(/=+$/, '');
/**
 * Every form in which a secret could sit in a row: its text, with and without its prefix, and the
 * key bytes it stands for (a `whsec_` secret's base64 part, an API key's base64url part, the UTF-8 of
 * any other secret) as hex (a bytea column), base64, base64url and a `whsec_` secret; the text itself
 * as base64 and hex too.
 */
function storedForms(secret: string): string[] {
  const [prefix] = /^(whsec_|hpk_)/.exec(secret) ?? [''];
  const rest = secret.slice(prefix.length);
  const text = Buffer.from(secret, 'utf8');
  const key = prefix === 'whsec_' ? Buffer.from(rest, 'base64') : prefix === 'hpk_' ? Buffer.from(rest, 'base64url') : text;
  expect(key.length).toBeGreaterThanOrEqual(16);
  return [
    ...new Set([
      secret,
      rest,
      key.toString('hex'),
      unpadded(key.toString('base64')),
      key.toString('base64url'),
      `whsec_${unpadded(key.toString('base64'))}`,
      text.toString('hex'),
      unpadded(text.toString('base64')),
    ]),
  ];
}

describe('secrets at rest', () => {
  it('no table holds a webhook secret or API key in any readable form: text, hex, base64, whsec_', async () => {
    const plain = 'a-plaintext-secret-that-must-not-leak';
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['scan.*'], secret: plain } }, project.key);
    const rotated = (await h.ok(ROTATE, { input: { id: createWebhook.webhook.id, gracePeriodSeconds: 60 } }, project.key)).rotateWebhookSecret.secret;
    // A delivery signed with both, its attempt (request headers and all) logged.
    await deliverOne('scan.me');
    await h.waitForDelivery({ webhookId: createWebhook.webhook.id }, 'SUCCEEDED', project.key);
    const generated = (await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['scan2.*'] } }, project.key)).createWebhook.secret;
    const needles = [plain, rotated, generated, project.key, TEST_ADMIN_KEY].flatMap(storedForms);

    const client = new pg.Client({ connectionString: h.config.databaseUrl });
    await client.connect();
    try {
      const tables = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      expect(tables.rows.map((t) => t.tablename)).toEqual(expect.arrayContaining(['webhooks', 'api_keys', 'delivery_attempts']));
      for (const { tablename } of tables.rows) {
        const rows = await client.query(`SELECT row_to_json(t)::text AS row FROM "${tablename}" t`);
        // Hex as Postgres prints bytea is lower case; a hex needle is looked for in any case.
        for (const { row } of rows.rows) {
          for (const needle of needles) expect(/^[0-9a-f]+$/.test(needle) ? row.toLowerCase() : row, `${tablename}`).not.toContain(needle);
        }
      }
    } finally {
      await client.end();
    }
  });

  it('re-encrypts every secret under a new key, after which the old key can go', async () => {
    const db = h.deps.db;
    // A secret in its grace period, so there are previous ciphertexts to carry over too.
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['rekey.*'] } }, project.key);
    const { rotateWebhookSecret } = await h.ok(ROTATE, { input: { id: createWebhook.webhook.id, gracePeriodSeconds: 3600 } }, project.key);
    const oldKey = Buffer.from(TEST_ENCRYPTION_KEY, 'base64');
    const newKey = Buffer.alloc(32, 9);
    const onlyOld = createSecretBox([oldKey]);
    const onlyNew = createSecretBox([newKey]);
    const plaintexts = async (box: typeof onlyOld) =>
      (await db.webhook.findMany({ orderBy: { id: 'asc' } })).map((w) => ({
        id: w.id,
        current: box.open({ ciphertext: w.secretCiphertext, keyId: w.secretKeyId }),
        previous: w.previousSecretCiphertext && box.open({ ciphertext: w.previousSecretCiphertext, keyId: w.previousSecretKeyId! }),
      }));
    const before = await plaintexts(onlyOld);
    expect(before.find((w) => w.id === createWebhook.webhook.id)).toEqual({
      id: createWebhook.webhook.id,
      current: rotateWebhookSecret.secret,
      previous: createWebhook.secret,
    });

    try {
      expect(await reencryptSecrets(db, createSecretBox([newKey, oldKey]), keyIdOf(newKey))).toBe(before.length);
      // The new key alone opens every current and previous ciphertext, to the same secrets.
      expect(await plaintexts(onlyNew)).toEqual(before);
      const keyIds = await db.webhook.findMany({ select: { secretKeyId: true, previousSecretKeyId: true } });
      expect(new Set(keyIds.flatMap((k) => [k.secretKeyId, k.previousSecretKeyId]).filter(Boolean))).toEqual(new Set([keyIdOf(newKey)]));
      expect(await reencryptSecrets(db, createSecretBox([newKey, oldKey]), keyIdOf(newKey))).toBe(0);
    } finally {
      // The worker of this file holds the test key: put every secret back under it.
      await reencryptSecrets(db, createSecretBox([oldKey, newKey]), keyIdOf(oldKey));
    }
    expect(await plaintexts(onlyOld)).toEqual(before);
  });

  it('production refuses to start without a key; development generates one in a private file', async () => {
    await expect(resolveEncryptionKeys(loadConfig({ NODE_ENV: 'production' }))).rejects.toThrow(/HOOKPOST_ENCRYPTION_KEY is required/);
    const dir = await mkdtemp(path.join(tmpdir(), 'hookpost-key-'));
    const file = path.join(dir, 'nested', 'encryption.key');
    const config = loadConfig({ NODE_ENV: 'development', HOOKPOST_ENCRYPTION_KEY_FILE: file });
    const [key] = await resolveEncryptionKeys(config);
    expect(key).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toEqual(key);
    expect((await resolveEncryptionKeys(config))[0]).toEqual(key);
  });
});
