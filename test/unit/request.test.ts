import { describe, expect, it } from 'vitest';
import { buildSignedHeaders, DEFAULT_ENVELOPE, parseEnvelope, serializeEnvelope } from '../../src/core/delivery/request.ts';
import { signStandard } from '../../src/core/delivery/signing.ts';
import { loadConfig } from '../../src/core/config.ts';

const event = {
  id: 'evt_1',
  type: 'order.shipped',
  timestamp: new Date('2026-01-02T03:04:05.678Z'),
  projectId: 'prj_1',
  data: { z: 1, a: { y: [1, 2], b: 'x' } },
};
const settings = { envelope: DEFAULT_ENVELOPE, userAgent: 'Hookpost-Webhooks/1.0', headerPrefix: 'X-Hookpost', signatureFormat: 'sha256=hex' as const };

describe('envelope', () => {
  it('is compact JSON with keys in the documented order and data as published', () => {
    expect(serializeEnvelope(event)).toBe(
      '{"id":"evt_1","type":"order.shipped","timestamp":"2026-01-02T03:04:05.678Z","project_id":"prj_1","data":{"z":1,"a":{"y":[1,2],"b":"x"}}}',
    );
  });
});

describe('configurable envelope', () => {
  it.each([
    ['id,type,createdAt=timestamp,data', '{"id":"evt_1","type":"order.shipped","createdAt":"2026-01-02T03:04:05.678Z","data":{"z":1,"a":{"y":[1,2],"b":"x"}}}'],
    [
      'id, type, created_at = timestamp, data',
      '{"id":"evt_1","type":"order.shipped","created_at":"2026-01-02T03:04:05.678Z","data":{"z":1,"a":{"y":[1,2],"b":"x"}}}',
    ],
    ['event=type,payload=data', '{"event":"order.shipped","payload":{"z":1,"a":{"y":[1,2],"b":"x"}}}'],
  ])('%s', (spec, expected) => expect(serializeEnvelope(event, parseEnvelope(spec))).toBe(expected));

  it.each([
    ['id,type', /must carry data/],
    ['id,data,id', /appears twice/],
    ['id,x=nope,data', /"x=nope" is not name or name=source/],
    ['id,1bad,data', /"1bad" is not name or name=source/],
  ])('rejects %s', (spec, reason) => {
    expect(() => parseEnvelope(spec)).toThrow(reason);
    expect(() => loadConfig({ HOOKPOST_ENVELOPE: spec })).toThrow(/HOOKPOST_ENVELOPE/);
  });
});

describe('signed headers', () => {
  const body = serializeEnvelope(event);
  const base = { settings, event, deliveryId: 'dlv_1', body, timestampSeconds: 1700000000 };

  it('sets every documented header', () => {
    const h = buildSignedHeaders({ ...base, secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], customHeaders: {} });
    expect(h).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Hookpost-Webhooks/1.0',
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1700000000',
      'X-Hookpost-Event': 'order.shipped',
      'X-Hookpost-Delivery': 'dlv_1',
    });
    expect(h['webhook-signature']).toBe(signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'evt_1', 1700000000, body));
    expect(h['X-Hookpost-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('signs with every secret given, space-separated, and brands with the first', () => {
    const h = buildSignedHeaders({ ...base, secrets: ['new-secret-1', 'old-secret-2'], customHeaders: {} });
    expect(h['webhook-signature'].split(' ')).toEqual([
      signStandard('new-secret-1', 'evt_1', 1700000000, body),
      signStandard('old-secret-2', 'evt_1', 1700000000, body),
    ]);
  });

  it('lets custom headers through but never over ours', () => {
    const h = buildSignedHeaders({
      ...base,
      secrets: ['s3cret-value'],
      customHeaders: { 'X-Tenant': 'acme', 'Webhook-Id': 'spoofed', 'x-hookpost-signature': 'spoofed', 'User-Agent': 'x' },
    });
    expect(h['X-Tenant']).toBe('acme');
    expect(Object.values(h)).not.toContain('spoofed');
    expect(h['user-agent']).toBe('Hookpost-Webhooks/1.0');
  });

  it('uses the configured prefix and plain hex format', () => {
    const h = buildSignedHeaders({
      ...base,
      settings: { ...settings, headerPrefix: 'X-RegPilot', signatureFormat: 'hex' },
      secrets: ['s3cret-value'],
      customHeaders: {},
    });
    expect(h['X-RegPilot-Signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(h['X-RegPilot-Event']).toBe('order.shipped');
  });
});
