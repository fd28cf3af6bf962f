import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from 'hookpost/verify';
import { signStandard } from '../../src/core/delivery/signing.ts';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const other = 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const body = '{"id":"evt_1","type":"a.b","timestamp":"2026-01-01T00:00:00.000Z","project_id":"prj_1","data":{"x":1}}';
const now = new Date('2026-01-01T00:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const headersFor = (sig: string, t = ts) => ({ 'webhook-id': 'evt_1', 'webhook-timestamp': String(t), 'webhook-signature': sig });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof WebhookVerificationError ? err.code : 'OTHER';
  }
  return undefined;
}

describe('verifyWebhook', () => {
  it('returns the parsed event for a valid signature (string, Buffer, Headers)', () => {
    const h = headersFor(signStandard(secret, 'evt_1', ts, body));
    expect(verifyWebhook(body, h, secret, { now }).data).toEqual({ x: 1 });
    expect(verifyWebhook(Buffer.from(body), new Headers(h), secret, { now }).id).toBe('evt_1');
  });

  it('the spec vector verifies', () => {
    const spec = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verifyWebhook('{"test": 2432232314}', spec, secret, { now: new Date(1614265330 * 1000) })).toEqual({ test: 2432232314 });
  });

  it('accepts any of several signatures and any of several secrets', () => {
    const both = `${signStandard(other, 'evt_1', ts, body)} ${signStandard(secret, 'evt_1', ts, body)}`;
    expect(code(() => verifyWebhook(body, headersFor(both), secret, { now }))).toBeUndefined();
    expect(code(() => verifyWebhook(body, headersFor(signStandard(other, 'evt_1', ts, body)), [secret, other], { now }))).toBeUndefined();
  });

  it.each([
    ['a wrong secret', () => verifyWebhook(body, headersFor(signStandard(other, 'evt_1', ts, body)), secret, { now }), 'INVALID_SIGNATURE'],
    [
      'a tampered body',
      () => verifyWebhook(body.replace('"x":1', '"x":2'), headersFor(signStandard(secret, 'evt_1', ts, body)), secret, { now }),
      'INVALID_SIGNATURE',
    ],
    ['a missing header', () => verifyWebhook(body, { 'webhook-id': 'evt_1' }, secret, { now }), 'MISSING_HEADERS'],
    ['a stale timestamp', () => verifyWebhook(body, headersFor(signStandard(secret, 'evt_1', ts - 301, body), ts - 301), secret, { now }), 'TIMESTAMP_TOO_OLD'],
    [
      'a future timestamp',
      () => verifyWebhook(body, headersFor(signStandard(secret, 'evt_1', ts + 301, body), ts + 301), secret, { now }),
      'TIMESTAMP_TOO_NEW',
    ],
    ['a garbage timestamp', () => verifyWebhook(body, headersFor('v1,x', Number.NaN), secret, { now }), 'INVALID_TIMESTAMP'],
    [
      'an unknown scheme',
      () => verifyWebhook(body, headersFor(signStandard(secret, 'evt_1', ts, body).replace('v1,', 'v2,')), secret, { now }),
      'INVALID_SIGNATURE',
    ],
  ])('refuses %s', (_what, fn, expected) => expect(code(fn)).toBe(expected));
});

describe('the shipped package', () => {
  it('plain Node imports hookpost/verify as built JavaScript and verifies with it', () => {
    // Built once by the global setup, by the package's build script, outside the repository.
    const packageDir = inject('builtPackageDir');
    const h = headersFor(signStandard(secret, 'evt_1', ts, body));
    const script = `
      import { verifyWebhook } from 'hookpost/verify';
      const event = verifyWebhook(${JSON.stringify(body)}, ${JSON.stringify(h)}, ${JSON.stringify(secret)}, { now: new Date(${now.getTime()}) });
      process.stdout.write(import.meta.resolve('hookpost/verify') + ' ' + event.type);
    `;
    const [resolved, type] = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' }).split(' ');
    expect(type).toBe('a.b');
    // It ran the built JavaScript, not the TypeScript source.
    expect(fileURLToPath(resolved)).toBe(path.join(packageDir, 'dist', 'verify', 'index.js'));
  });
});
