import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

// Every address aimed at here is a loopback one, so even a broken guard sends nothing off this machine.

async function harness(overrides: Record<string, string>) {
  const h = await startHarness(overrides);
  onTestFinished(() => h.close());
  return h;
}

async function receiverOn(host: string): Promise<Receiver> {
  const r = await startReceiver(host);
  onTestFinished(() => r.close());
  return r;
}

/** The delivery once its first attempt is logged (a retry counts as a wrong answer, not a wait). */
async function lastAttempt(h: Harness, key: string, eventId: string, status = 'FAILED') {
  const delivery = await h.waitForDelivery({ eventId }, (d) => d.status !== 'PENDING', key);
  expect(delivery.status).toBe(status);
  return { delivery, attempt: delivery.attempts.edges[0].node };
}

describe('SSRF guard, live', () => {
  it('refuses every loopback spelling without the allow-list, records SSRF_BLOCKED, and does not retry', async () => {
    const h = await harness({ HOOKPOST_ALLOWED_NETWORKS: '' });
    h.startWorker();
    const v4 = await receiverOn('127.0.0.1');
    const v6 = await receiverOn('::1');
    const port4 = new URL(v4.url).port;
    const port6 = new URL(v6.url).port;
    const { key } = await h.createProject('SSRF');
    const targets = [
      `http://127.0.0.1:${port4}/hook`,
      `http://127.1:${port4}/hook`,
      `http://0.0.0.0:${port4}/hook`,
      `http://localhost:${port4}/hook`,
      `http://2130706433:${port4}/hook`,
      `http://[::ffff:127.0.0.1]:${port4}/hook`,
      `http://[::1]:${port6}/hook`,
    ];
    for (const [i, url] of targets.entries()) {
      await h.ok(CREATE_WEBHOOK, { input: { url, events: [`ssrf.t${i}`] } }, key);
    }
    for (const [i, url] of targets.entries()) {
      const { event } = (await h.ok(PUBLISH_EVENT, { input: { type: `ssrf.t${i}`, data: {} } }, key)).publishEvent;
      const { delivery, attempt } = await lastAttempt(h, key, event.id);
      expect(attempt.error, url).toMatch(/^SSRF_BLOCKED: refused to connect to/);
      expect(attempt.responseStatus).toBeNull();
      expect(delivery.attemptCount, 'not retried').toBe(1);
    }
    expect(v4.requests).toHaveLength(0);
    expect(v6.requests).toHaveLength(0);
  });

  it('connects to the address it checked: a DNS answer that changes cannot rebind the request', async () => {
    const h = await harness({ HOOKPOST_ALLOWED_NETWORKS: '127.0.0.2/32' });
    const allowed = await receiverOn('127.0.0.2');
    const port = Number(new URL(allowed.url).port);
    // The forbidden twin listens on the same port, so a second lookup would reach it.
    const forbidden = await new Promise<Server & { hits: number }>((resolve, reject) => {
      const server = Object.assign(
        createServer((_req, res) => {
          server.hits++;
          res.writeHead(200).end();
        }),
        { hits: 0 },
      );
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
    onTestFinished(() => new Promise<void>((r) => forbidden.close(() => r())));
    expect((forbidden.address() as AddressInfo).port).toBe(port);

    const lookups: string[] = [];
    h.startWorker({
      resolver: async (hostname) => {
        lookups.push(hostname);
        return lookups.length === 1 ? ['127.0.0.2'] : ['127.0.0.1'];
      },
    });
    allowed.respondWith((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'));
    const { key } = await h.createProject('Rebind');
    await h.ok(CREATE_WEBHOOK, { input: { url: `http://rebind.hookpost.test:${port}/hook`, events: ['rebind.*'] } }, key);

    const first = (await h.ok(PUBLISH_EVENT, { input: { type: 'rebind.one', data: {} } }, key)).publishEvent.event;
    await lastAttempt(h, key, first.id, 'SUCCEEDED');
    expect(allowed.requests).toHaveLength(1);
    expect(allowed.requests[0].headers.host).toBe(`rebind.hookpost.test:${port}`);
    expect(lookups).toEqual(['rebind.hookpost.test']);

    // The next lookup answers 127.0.0.1: that address is checked too, and refused.
    const second = (await h.ok(PUBLISH_EVENT, { input: { type: 'rebind.two', data: {} } }, key)).publishEvent.event;
    const { attempt } = await lastAttempt(h, key, second.id);
    expect(attempt.error).toMatch(/^SSRF_BLOCKED: .*127\.0\.0\.1 is a loopback address/);
    expect(forbidden.hits).toBe(0);
  });
});

describe('hostile receivers', () => {
  it('reads at most 16 KiB of an endless body, then drops the connection', async () => {
    const h = await harness({});
    h.startWorker();
    const endless = await receiverOn('127.0.0.1');
    let closed = false;
    endless.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'.repeat(4096)), 5);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const { key } = await h.createProject('Endless');
    await h.ok(CREATE_WEBHOOK, { input: { url: endless.url, events: ['big.*'], timeoutSeconds: 20 } }, key);
    const { event } = (await h.ok(PUBLISH_EVENT, { input: { type: 'big.body', data: {} } }, key)).publishEvent;
    const { attempt } = await lastAttempt(h, key, event.id, 'SUCCEEDED');
    expect(attempt.responseBody).toHaveLength(16 * 1024);
    expect(attempt.durationMs).toBeLessThan(5000);
    await waitUntil(() => closed, 5000, 'the connection to be dropped');
  });

  it('cuts off a receiver that trickles bytes past the timeout', async () => {
    const h = await harness({});
    h.startWorker();
    const trickle = await receiverOn('127.0.0.1');
    trickle.respondWith((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(timer));
    });
    const { key } = await h.createProject('Trickle');
    await h.ok(CREATE_WEBHOOK, { input: { url: trickle.url, events: ['slow.*'], timeoutSeconds: 1, retryPolicy: { schedule: [] } } }, key);
    const { event } = (await h.ok(PUBLISH_EVENT, { input: { type: 'slow.body', data: {} } }, key)).publishEvent;
    const { attempt } = await lastAttempt(h, key, event.id);
    expect(attempt.error).toMatch(/^TIMEOUT/);
    expect(attempt.durationMs).toBeGreaterThanOrEqual(900);
    expect(attempt.durationMs).toBeLessThan(3000);
  });

  it('does not follow redirects: a 3xx is a failed attempt and the target gets nothing', async () => {
    const h = await harness({});
    h.startWorker();
    const target = await receiverOn('127.0.0.1');
    const redirecting = await receiverOn('127.0.0.1');
    redirecting.respondWith((_req, res) => res.writeHead(307, { location: target.url }).end());
    const { key } = await h.createProject('Redirect');
    await h.ok(CREATE_WEBHOOK, { input: { url: redirecting.url, events: ['hop.*'], retryPolicy: { schedule: [] } } }, key);
    const { event } = (await h.ok(PUBLISH_EVENT, { input: { type: 'hop.skip', data: {} } }, key)).publishEvent;
    const { attempt } = await lastAttempt(h, key, event.id);
    expect(attempt).toMatchObject({ responseStatus: 307, succeeded: false });
    expect(attempt.responseHeaders.location).toBe(target.url);
    expect(target.requests).toHaveLength(0);
  });
});
