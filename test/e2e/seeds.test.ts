// The five products in shared/seeds, each run on Hookpost configured as its docs promise, with a
// receiver that checks signatures with the code those docs tell their customers to write. The
// receiver answers 401 when its check fails, so SUCCEEDED means the customer's code accepted it.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, DELIVERIES, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type ReceivedRequest } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

interface Product {
  name: string;
  env: Record<string, string>;
  webhook: Record<string, unknown>;
  /** The docs' own verification, fed the request as their handler would see it. */
  verify(req: ReceivedRequest, secret: string): boolean;
  event: { type: string; data: Record<string, unknown> };
  envelopeKeys: string[];
  test?: { eventType: string; data?: Record<string, unknown> };
}

const timingSafe = (a: string, b: string) => Buffer.from(a).length === Buffer.from(b).length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

const products: Product[] = [
  {
    name: 'RegPilot',
    env: { HOOKPOST_HEADER_PREFIX: 'X-RegPilot', HOOKPOST_SIGNATURE_FORMAT: 'hex' },
    webhook: { events: ['alert.created', 'case.created', 'violation.detected'], secret: 'your_webhook_secret' },
    // Their handler parses with express.json() and signs JSON.stringify(payload).
    verify: (req, secret) => {
      const payload = JSON.parse(req.body);
      const expected = crypto.createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
      return timingSafe(String(req.headers['x-regpilot-signature']), expected);
    },
    event: { type: 'alert.created', data: { alert_id: 'alert_123', severity: 'HIGH', title: 'High risk content detected', message: 'AI response had risk score of 85' } },
    envelopeKeys: ['id', 'type', 'timestamp', 'project_id', 'data'],
    test: { eventType: 'alert.created' },
  },
  {
    name: 'de.iterate',
    env: { HOOKPOST_HEADER_PREFIX: 'X-Deiterate', HOOKPOST_SIGNATURE_FORMAT: 'hex', HOOKPOST_ENVELOPE: 'id,type,createdAt=timestamp,data' },
    webhook: { events: ['risk.created', 'risk.updated', 'task.overdue'], secret: 'your-webhook-secret' },
    verify: (req, secret) => {
      const expected = crypto.createHmac('sha256', secret).update(req.body).digest('hex');
      return timingSafe(String(req.headers['x-deiterate-signature']), expected);
    },
    event: { type: 'risk.updated', data: { object: { id: 'risk_1', title: 'Vendor lock-in' }, previousAttributes: { title: 'Vendor risk' } } },
    envelopeKeys: ['id', 'type', 'createdAt', 'data'],
  },
  {
    name: 'Regen Therapy',
    env: { HOOKPOST_HEADER_PREFIX: 'X-Regen', HOOKPOST_SIGNATURE_FORMAT: 'sha256=hex', HOOKPOST_ENVELOPE: 'id,type,createdAt=timestamp,data' },
    webhook: { name: 'Order Notifications', events: ['order.created', 'order.shipped', 'order.delivered'], retryPolicy: { maxAttempts: 6, initialDelaySeconds: 60, backoffMultiplier: 2 } },
    verify: (req, secret) => {
      const payload = JSON.stringify(JSON.parse(req.body));
      const expected = crypto.createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
      return timingSafe(`sha256=${expected}`, String(req.headers['x-regen-signature']));
    },
    event: { type: 'order.shipped', data: { orderId: 'ord_abc123', orderNumber: 'ORD-2024-0001', status: 'SHIPPED', trackingNumber: '1Z999AA10123456784', carrier: 'UPS' } },
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
    verify: (req, secret) => {
      const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(req.body, 'utf8').digest('hex');
      return req.headers['x-custom-header'] === 'custom-value' && timingSafe(String(req.headers['x-policycortex-signature']), expected);
    },
    event: { type: 'policy.violation.created', data: { violation: { id: 'viol_abcdef1234567890', severity: 'HIGH', status: 'OPEN', compliance_frameworks: ['SOC2', 'HIPAA'] } } },
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
    verify: (req, secret) => {
      const computed = crypto.createHmac('sha256', secret).update(req.body).digest('hex');
      return (
        req.headers['user-agent'] === 'ComplianceLayer-Webhooks/1.0' &&
        req.headers['x-compliancelayer-event'] === JSON.parse(req.body).type &&
        String(req.headers['x-compliancelayer-delivery']).startsWith('dlv_') &&
        timingSafe(String(req.headers['x-compliancelayer-signature']), computed)
      );
    },
    event: { type: 'scan.completed', data: { scan_id: 12345, domain: 'example.com', score: 85, grade: 'B', issues_count: 8 } },
    envelopeKeys: ['id', 'type', 'created_at', 'data'],
    test: { eventType: 'scan.completed', data: { message: 'This is a test webhook from ComplianceLayer' } },
  },
];

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function succeeded(h: Harness, key: string, eventId: string) {
  return waitUntil(async () => {
    const d = (await h.ok(DELIVERIES, { eventId }, key)).deliveries.edges[0]?.node;
    return d && d.status !== 'PENDING' && d;
  });
}

describe.each(products)('$name runs on Hookpost', (product) => {
  it('delivers its envelope, headers and signature so that its documented receiver code accepts them', async () => {
    const h = await startHarness(product.env);
    cleanups.push(() => h.close());
    h.startWorker();
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const { key } = await h.createProject(product.name);
    let secret = '';
    receiver.respondWith((req, res) => (product.verify(req, secret) ? res.writeHead(200).end('OK') : res.writeHead(401).end('Invalid signature')));
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, ...product.webhook } }, key);
    secret = createWebhook.secret;

    const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: product.event }, key);
    const delivery = await succeeded(h, key, publishEvent.event.id);
    expect(delivery.attempts.edges[0].node.responseStatus).toBe(200);
    expect(delivery.status).toBe('SUCCEEDED');
    const body = JSON.parse(receiver.requests[0].body);
    expect(Object.keys(body)).toEqual(product.envelopeKeys);
    expect(body.data).toEqual(product.event.data);

    if (product.test) {
      const { sendTestEvent } = await h.ok(
        `mutation($w: ID!, $t: String, $d: JSON) { sendTestEvent(input: { webhookId: $w, eventType: $t, data: $d }) { delivery { id event { id } } } }`,
        { w: createWebhook.webhook.id, t: product.test.eventType, d: product.test.data },
        key,
      );
      const test = await succeeded(h, key, sendTestEvent.delivery.event.id);
      expect(test.status).toBe('SUCCEEDED');
      const testBody = JSON.parse(receiver.requests[1].body);
      expect(testBody).toMatchObject({ type: product.test.eventType, data: { test: true, ...(product.test.data ?? {}) } });
    }
  });
});

it('retry promises map onto retry policies', async () => {
  const h = await startHarness({ HOOKPOST_RETRY_SCHEDULE: '60,300,900,3600,7200' });
  cleanups.push(() => h.close());
  const { key } = await h.createProject('Schedules');
  const schedule = async (retryPolicy?: Record<string, unknown>) =>
    (await h.ok(CREATE_WEBHOOK.replace('secretHint', 'secretHint retrySchedule'), { input: { url: 'https://x.example', events: ['*'], retryPolicy } }, key)).createWebhook.webhook.retrySchedule;
  // ComplianceLayer: 1 min, 5 min, 15 min, 1 h, 2 h (6 attempts), as the deployment default.
  expect(await schedule()).toEqual([60, 300, 900, 3600, 7200]);
  // RegPilot: 1 min, 5 min, 15 min, 1 h, 6 h.
  expect(await schedule({ schedule: [60, 300, 900, 3600, 21600] })).toEqual([60, 300, 900, 3600, 21600]);
  // PolicyCortex: 3 attempts, backoff multiplier 2.
  expect(await schedule({ maxAttempts: 3, initialDelaySeconds: 60, backoffMultiplier: 2 })).toEqual([60, 120]);
});
