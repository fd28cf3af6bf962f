import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signBranded, signStandard, standardWebhooksKey } from '../../src/core/delivery/signing.ts';

describe('Standard Webhooks signature', () => {
  it('matches the spec vector', () => {
    const sig = signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('keys a whsec_ secret by its base64 part and any other secret by its UTF-8 bytes', () => {
    expect(standardWebhooksKey('whsec_AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(standardWebhooksKey('plain-secret')).toEqual(Buffer.from('plain-secret', 'utf8'));
  });

  it('verifies with the standardwebhooks package for a generated secret', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"id":"evt_1","type":"a.b","data":{}}';
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(secret, 'evt_1', ts, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });
});

describe('branded hex signature', () => {
  // RFC 4231, test case 2.
  const rfcKey = 'Jefe';
  const rfcData = 'what do ya want for nothing?';
  const rfcMac = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

  it.each([
    ['hex', rfcMac],
    ['sha256=hex', `sha256=${rfcMac}`],
  ] as const)('formats %s', (format, expected) => {
    expect(signBranded(rfcKey, rfcData, format)).toBe(expected);
  });

  it('keys by the whole secret string, whsec_ prefix included, as receivers do', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const expected = createHmac('sha256', secret).update('body').digest('hex');
    expect(signBranded(secret, 'body', 'hex')).toBe(expected);
  });
});
