import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, DELIVERIES, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { MARKER_IDS, proveLive, sseSubscription, wsSubscription } from '../support/subscriptions.ts';
import { waitUntil } from '../support/wait.ts';

let h: Harness;
let receiver: Receiver;
let other: Receiver;
let project: { projectId: string; key: string };

beforeAll(async () => {
  h = await startHarness();
  h.startWorker();
  receiver = await startReceiver();
  other = await startReceiver();
  project = await h.createProject('Deliveries');
});

afterAll(async () => {
  await h.close();
  await receiver.close();
  await other.close();
});

/** The plain check a hand-written receiver does: HMAC-SHA256 hex of the raw body, `sha256=` prefixed. */
function plainHexValid(body: string, header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('publish → signed delivery → attempt log', () => {
  it('delivers to matching webhooks only, signed so that standard and plain receivers both verify', async () => {
    const hook = async (url: string, events: string[], extra: Record<string, unknown> = {}) =>
      (await h.ok(CREATE_WEBHOOK, { input: { url, events, ...extra } }, project.key)).createWebhook;
    const exact = await hook(receiver.url, ['order.shipped'], { headers: { 'X-Tenant': 'acme' } });
    const wildcard = await hook(other.url, ['order.*']);
    const nonMatching = await hook(other.url, ['invoice.*']);
    const inactive = await hook(other.url, ['*'], { active: false });
    expect(exact.secret).toMatch(/^whsec_/);
    expect(exact.webhook.secretHint).toBe(exact.secret.slice(-4));

    const data = { orderId: 'ord_42', items: [{ sku: 'A', qty: 2 }], zebra: true, alpha: null };
    const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: { type: 'order.shipped', data } }, project.key);
    expect(publishEvent.deliveryCount).toBe(2);
    const eventId = publishEvent.event.id;
    expect(eventId).toMatch(/^evt_[0-9a-f]{32}$/);

    const [req] = await receiver.waitFor(1);
    await other.waitFor(1);
    // The envelope: exact keys in order, the data with the publisher's key order.
    expect(Object.keys(JSON.parse(req.body))).toEqual(['id', 'type', 'timestamp', 'project_id', 'data']);
    expect(req.body).toContain('"data":{"orderId":"ord_42","items":[{"sku":"A","qty":2}],"zebra":true,"alpha":null}');
    expect(JSON.parse(req.body)).toMatchObject({ id: eventId, type: 'order.shipped', project_id: project.projectId, data });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('Hookpost-Webhooks/1.0');
    expect(req.headers['x-hookpost-event']).toBe('order.shipped');
    expect(req.headers['x-hookpost-delivery']).toMatch(/^dlv_/);
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['webhook-id']).toBe(eventId);

    // The standardwebhooks package verifies the delivery as received, raw body and headers.
    const verified = new StandardWebhook(exact.secret).verify(req.body, req.headers as Record<string, string>);
    expect(verified).toMatchObject({ id: eventId, data });
    expect(plainHexValid(req.body, req.headers['x-hookpost-signature'] as string, exact.secret)).toBe(true);
    expect(plainHexValid(req.body, req.headers['x-hookpost-signature'] as string, wildcard.secret)).toBe(false);

    // The attempt is readable through GraphQL.
    const { deliveries } = await h.ok(DELIVERIES, { eventId }, project.key);
    const byWebhook = new Map(deliveries.edges.map((e: any) => [e.node.webhook.id, e.node]));
    expect([...byWebhook.keys()].sort()).toEqual([exact.webhook.id, wildcard.webhook.id].sort());
    expect(byWebhook.has(nonMatching.webhook.id)).toBe(false);
    expect(byWebhook.has(inactive.webhook.id)).toBe(false);
    const delivery = await h.waitForDelivery({ webhookId: exact.webhook.id }, 'SUCCEEDED', project.key);
    expect(delivery.id).toBe(req.headers['x-hookpost-delivery']);
    expect(delivery.attemptCount).toBe(1);
    const attempt = delivery.attempts.edges[0].node;
    expect(attempt).toMatchObject({ attemptNumber: 1, url: receiver.url, responseStatus: 200, responseBody: 'ok', succeeded: true, error: null });
    expect(attempt.id).toMatch(/^att_/);
    expect(attempt.requestHeaders['webhook-signature']).toBe(req.headers['webhook-signature']);
    expect(attempt.responseHeaders['content-type']).toBe('text/plain');
  });

  it('records a failed answer and a refused connection as FAILED attempts with their reason', async () => {
    receiver.respondWith((_req, res) => res.writeHead(500).end('boom'));
    try {
      const { createWebhook: failing } = await h.ok(
        CREATE_WEBHOOK,
        { input: { url: receiver.url, events: ['job.failed'], retryPolicy: { schedule: [] } } },
        project.key,
      );
      // Port 9 on loopback: nothing listens there, so the connection is refused.
      const { createWebhook: refused } = await h.ok(
        CREATE_WEBHOOK,
        { input: { url: 'http://127.0.0.1:9/x', events: ['job.failed'], retryPolicy: { schedule: [] } } },
        project.key,
      );
      await h.ok(PUBLISH_EVENT, { input: { type: 'job.failed', data: { n: 1 } } }, project.key);
      const settled = (webhookId: string) => h.waitForDelivery({ webhookId }, 'FAILED', project.key);
      const http500 = (await settled(failing.webhook.id)).attempts.edges[0].node;
      expect(http500).toMatchObject({ responseStatus: 500, responseBody: 'boom', succeeded: false });
      const conn = (await settled(refused.webhook.id)).attempts.edges[0].node;
      expect(conn).toMatchObject({ responseStatus: null, succeeded: false });
      expect(conn.error).toMatch(/ECONNREFUSED/);
    } finally {
      receiver.respondWith((_req, res) => res.writeHead(200).end('ok'));
    }
  });

  it('sendTestEvent makes a real signed delivery whose data says test: true', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: other.url, events: ['alert.created'], secret: 'my_plain_secret_123' } }, project.key);
    const before = other.requests.length;
    const { sendTestEvent } = await h.ok(
      `mutation($w: ID!) { sendTestEvent(input: { webhookId: $w, eventType: "alert.created", data: { alertId: "a1" } }) { delivery { id status event { type data } } } }`,
      { w: createWebhook.webhook.id },
      project.key,
    );
    expect(sendTestEvent.delivery.event).toEqual({ type: 'alert.created', data: { alertId: 'a1', test: true } });
    const reqs = await other.waitFor(before + 1);
    const req = reqs.find((r) => r.headers['x-hookpost-delivery'] === sendTestEvent.delivery.id)!;
    expect(JSON.parse(req.body).data).toEqual({ alertId: 'a1', test: true });
    // A secret without the whsec_ prefix is used as raw UTF-8 bytes by Standard Webhooks libraries too.
    const raw = Buffer.from('my_plain_secret_123').toString('base64');
    expect(() => new StandardWebhook(raw).verify(req.body, req.headers as Record<string, string>)).not.toThrow();
    expect(plainHexValid(req.body, req.headers['x-hookpost-signature'] as string, 'my_plain_secret_123')).toBe(true);
  });
});

describe('live over graphql-ws', () => {
  it('streams the attempt and the delivery update as they happen', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['live.*'] } }, project.key);
    const webhookId = createWebhook.webhook.id;
    const client = h.wsClient(project.key);
    const attempts = wsSubscription(
      client,
      `subscription($w: ID) { deliveryAttemptCreated(webhookId: $w) { id attemptNumber responseStatus succeeded delivery { id status webhook { id } event { type } } } }`,
      { w: webhookId },
    );
    const updates = wsSubscription(client, `subscription($w: ID) { deliveryUpdated(webhookId: $w) { id status attemptCount } }`, { w: webhookId });
    const scope = { deliveryId: MARKER_IDS.deliveryId, webhookId, projectId: project.projectId };
    await proveLive(h, attempts, 'deliveryAttemptCreated', { ...scope, attemptId: MARKER_IDS.attemptId });
    await proveLive(h, updates, 'deliveryUpdated', scope);

    const { publishEvent } = await h.ok(PUBLISH_EVENT, { input: { type: 'live.ping', data: { n: 1 } } }, project.key);
    await waitUntil(() => attempts.items.length > 0 && updates.items.length > 0, 10_000, 'the attempt and the update');
    expect(attempts.errors).toEqual([]);
    const [attempt] = attempts.items;
    expect(attempt).toMatchObject({ attemptNumber: 1, responseStatus: 200, succeeded: true });
    expect(attempt.delivery).toMatchObject({ status: 'SUCCEEDED', webhook: { id: webhookId }, event: { type: 'live.ping' } });
    const { deliveries } = await h.ok(DELIVERIES, { eventId: publishEvent.event.id }, project.key);
    const delivery = deliveries.edges[0].node;
    expect(delivery.attempts.edges.map((e: any) => e.node.id)).toEqual([attempt.id]);
    expect(updates.items).toEqual([{ id: delivery.id, status: 'SUCCEEDED', attemptCount: 1 }]);
  });

  it('also streams over server-sent events', async () => {
    const { createWebhook } = await h.ok(CREATE_WEBHOOK, { input: { url: receiver.url, events: ['sse.*'] } }, project.key);
    const webhookId = createWebhook.webhook.id;
    const stream = await sseSubscription(h.url, project.key, `subscription($w: ID) { deliveryUpdated(webhookId: $w) { status event { type } } }`, {
      w: webhookId,
    });
    expect(stream.contentType).toContain('text/event-stream');
    await proveLive(h, stream, 'deliveryUpdated', { deliveryId: MARKER_IDS.deliveryId, webhookId, projectId: project.projectId });
    await h.ok(PUBLISH_EVENT, { input: { type: 'sse.ping', data: {} } }, project.key);
    await waitUntil(() => stream.items.length > 0, 10_000, 'an update over SSE');
    stream.close();
    expect(await stream.ended).toBeNull();
    expect(stream.items).toEqual([{ status: 'SUCCEEDED', event: { type: 'sse.ping' } }]);
    expect(stream.text()).toContain('"deliveryUpdated":{"status":"SUCCEEDED","event":{"type":"sse.ping"}}');
  });
});
