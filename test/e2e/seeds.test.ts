// Five products, each run on Hookpost configured as its docs promise, with a receiver that checks
// signatures with the code those docs tell their customers to write (test/fixtures/receivers). The
// receiver answers 401 when that code refuses, so SUCCEEDED means the customer's code accepted it.
import { describe, expect, it, onTestFinished } from 'vitest';
import * as complianceLayer from '../fixtures/receivers/compliancelayer.ts';
import * as deIterate from '../fixtures/receivers/deiterate.ts';
import * as policyCortex from '../fixtures/receivers/policycortex.ts';
import * as regen from '../fixtures/receivers/regen.ts';
import * as regPilot from '../fixtures/receivers/regpilot.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type ReceivedRequest } from '../support/receiver.ts';

interface Product {
  name: string;
  env: Record<string, string>;
  webhook: Record<string, unknown>;
  /** The docs' receiver code: whether it accepts the request, fed as their handler would see it. */
  accepts(req: ReceivedRequest, secret: string): boolean;
  /** What else the docs promise about each request. */
  documentedHeaders?: (req: ReceivedRequest) => Record<string, unknown>;
  expectedHeaders?: Record<string, unknown>;
  event: { type: string; data: Record<string, unknown> };
  envelopeKeys: string[];
  test?: { eventType: string; data?: Record<string, unknown> };
}

const products: Product[] = [
  {
    name: 'RegPilot',
    env: { HOOKPOST_HEADER_PREFIX: 'X-RegPilot', HOOKPOST_SIGNATURE_FORMAT: 'hex' },
    webhook: { events: ['alert.created', 'case.created', 'violation.detected'], secret: 'your_webhook_secret' },
    accepts: regPilot.accepts,
    event: {
      type: 'alert.created',
      data: { alert_id: 'alert_123', severity: 'HIGH', title: 'High risk content detected', message: 'AI response had risk score of 85' },
    },
    envelopeKeys: ['id', 'type', 'timestamp', 'project_id', 'data'],
    test: { eventType: 'alert.created' },
  },
  {
    name: 'de.iterate',
    env: { HOOKPOST_HEADER_PREFIX: 'X-Deiterate', HOOKPOST_SIGNATURE_FORMAT: 'hex', HOOKPOST_ENVELOPE: 'id,type,createdAt=timestamp,data' },
    webhook: { events: ['risk.created', 'risk.updated', 'task.overdue'], secret: 'your-webhook-secret' },
    accepts: deIterate.accepts,
    event: { type: 'risk.updated', data: { object: { id: 'risk_1', title: 'Vendor lock-in' }, previousAttributes: { title: 'Vendor risk' } } },
    envelopeKeys: ['id', 'type', 'createdAt', 'data'],
  },
  {
    name: 'Regen Therapy',
    env: { HOOKPOST_HEADER_PREFIX: 'X-Regen', HOOKPOST_SIGNATURE_FORMAT: 'sha256=hex', HOOKPOST_ENVELOPE: 'id,type,createdAt=timestamp,data' },
    webhook: {
      name: 'Order Notifications',
      events: ['order.created', 'order.shipped', 'order.delivered'],
      retryPolicy: { maxAttempts: 6, initialDelaySeconds: 60, backoffMultiplier: 2 },
    },
    accepts: regen.accepts,
    event: {
      type: 'order.shipped',
      data: { orderId: 'ord_abc123', orderNumber: 'ORD-2024-0001', status: 'SHIPPED', trackingNumber: '1Z999AA10123456784', carrier: 'UPS' },
    },
    envelopeKeys: ['id', 'type', 'createdAt', 'data'],
    test: { eventType: 'order.shipped' },
  },
  {
    name: 'PolicyCortex',
    env: { HOOKPOST_HEADER_PREFIX: 'X-PolicyCortex', HOOKPOST_SIGNATURE_FORMAT: 'sha256=hex', HOOKPOST_ENVELOPE: 'id,type,created=timestamp,data' },
    webhook: {
      events: ['policy.violation.created', 'policy.violation.resolved', 'compliance.status.changed'],
      secret: 'your-webhook-secret',
      retryPolicy: { maxAttempts: 3, initialDelaySeconds: 60, backoffMultiplier: 2 },
      timeoutSeconds: 30,
      headers: { 'X-Custom-Header': 'custom-value' },
    },
    accepts: policyCortex.accepts,
    documentedHeaders: (req) => ({ custom: req.headers['x-custom-header'] }),
    expectedHeaders: { custom: 'custom-value' },
    event: {
      type: 'policy.violation.created',
      data: { violation: { id: 'viol_abcdef1234567890', severity: 'HIGH', status: 'OPEN', compliance_frameworks: ['SOC2', 'HIPAA'] } },
    },
    envelopeKeys: ['id', 'type', 'created', 'data'],
    test: { eventType: 'policy.violation.created' },
  },
  {
    name: 'ComplianceLayer',
    env: {
      HOOKPOST_HEADER_PREFIX: 'X-ComplianceLayer',
      HOOKPOST_SIGNATURE_FORMAT: 'hex',
      HOOKPOST_USER_AGENT: 'ComplianceLayer-Webhooks/1.0',
      HOOKPOST_ENVELOPE: 'id,type,created_at=timestamp,data',
      HOOKPOST_RETRY_SCHEDULE: '60,300,900,3600,7200',
      HOOKPOST_DISABLE_AFTER_FAILURES: '10',
    },
    webhook: { events: ['scan.completed', 'alert.triggered'] },
    accepts: complianceLayer.accepts,
    documentedHeaders: (req) => ({
      userAgent: req.headers['user-agent'],
      event: req.headers['x-compliancelayer-event'] === JSON.parse(req.body).type,
      delivery: req.headers['x-compliancelayer-delivery'],
    }),
    expectedHeaders: { userAgent: 'ComplianceLayer-Webhooks/1.0', event: true, delivery: expect.stringMatching(/^dlv_[0-9a-f]{32}$/) },
    event: { type: 'scan.completed', data: { scan_id: 12345, domain: 'example.com', score: 85, grade: 'B', issues_count: 8 } },
    envelopeKeys: ['id', 'type', 'created_at', 'data'],
    test: { eventType: 'scan.completed', data: { message: 'This is a test webhook from ComplianceLayer' } },
  },
];

/** Settled one way or the other: a refused signature shows as RETRYING, not as a timeout. */
const settled = (h: Harness, key: string, eventId: string) => h.waitForDelivery({ eventId }, (d) => d.status !== 'PENDING', key);

describe.each(products)('$name runs on Hookpost', (product) => {
  it('delivers its envelope, headers and signature so that its documented receiver code accepts them', async () => {
    const h = await startHarness(product.env);
    onTestFinished(() => h.close());
    h.startWorker();
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const { key } = await h.createProject(product.name);
    let secret = '';
    const accepted = (req: ReceivedRequest) => {
      try {
        return product.accepts(req, secret);
      } catch {
        return false; // their code throws on a signature of the wrong length: a 500, not a 2xx
      }
    };
    receiver.respondWith((req, res) => (accepted(req) ? res.writeHead(200).end('OK') : res.writeHead(401).end('Invalid signature')));
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, ...product.webhook } }, key);
    secret = createWebhook.secret;

    const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: product.event }, key);
    const delivery = await settled(h, key, publishEvent.event.id);
    expect(delivery.attempts.edges[0].node.responseStatus).toBe(200);
    expect(delivery.status).toBe('SUCCEEDED');
    const [req] = receiver.requests;
    const body = JSON.parse(req.body);
    expect(Object.keys(body)).toEqual(product.envelopeKeys);
    expect(body.data).toEqual(product.event.data);
    if (product.documentedHeaders) expect(product.documentedHeaders(req)).toEqual(product.expectedHeaders);
    // Their code is a real check: another secret, or a body changed in transit, is refused.
    expect(accepted({ ...req, body: req.body.replace(product.event.type, `${product.event.type}x`) })).toBe(false);
    secret = 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    expect(accepted(req)).toBe(false);
    secret = createWebhook.secret;

    if (product.test) {
      const { sendTestEvent } = await h.ok(
        `mutation($w: ID!, $t: String, $d: JSON) { sendTestEvent(input: { webhookId: $w, eventType: $t, data: $d }) { delivery { id event { id } } } }`,
        { w: createWebhook.webhook.id, t: product.test.eventType, d: product.test.data },
        key,
      );
      const test = await settled(h, key, sendTestEvent.delivery.event.id);
      expect(test.status).toBe('SUCCEEDED');
      const testBody = JSON.parse(receiver.requests[1].body);
      expect(testBody).toMatchObject({ type: product.test.eventType, data: { test: true, ...(product.test.data ?? {}) } });
    }
  });
});

it('retry promises map onto retry policies', async () => {
  const h = await startHarness({ HOOKPOST_RETRY_SCHEDULE: '60,300,900,3600,7200' });
  onTestFinished(() => h.close());
  const { key } = await h.createProject('Schedules');
  const schedule = async (retryPolicy?: Record<string, unknown>) =>
    (await h.ok(CREATE_WEBHOOK.replace('secretHint', 'secretHint retrySchedule'), { input: { url: 'https://x.example', events: ['*'], retryPolicy } }, key))
      .createWebhook.webhook.retrySchedule;
  // ComplianceLayer: 1 min, 5 min, 15 min, 1 h, 2 h (6 attempts), as the deployment default.
  expect(await schedule()).toEqual([60, 300, 900, 3600, 7200]);
  // RegPilot: 1 min, 5 min, 15 min, 1 h, 6 h.
  expect(await schedule({ schedule: [60, 300, 900, 3600, 21600] })).toEqual([60, 300, 900, 3600, 21600]);
  // PolicyCortex: 3 attempts, backoff multiplier 2.
  expect(await schedule({ maxAttempts: 3, initialDelaySeconds: 60, backoffMultiplier: 2 })).toEqual([60, 120]);
});
