// The dashboard in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
// browser). The steps share one page and run in order, as a person would use it.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { watchPage } from '../support/pageWatch.ts';
import { CREATE_WEBHOOK, PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const CHROMIUM = '/usr/bin/chromium';

let h: Harness;
let orders: Receiver;
let billing: Receiver;
let project: { projectId: string; key: string };
let hooks: { orders: string; billing: string; paused: string };
let browser: Browser;
let page: Page;
const problems: string[] = [];
const foreign: string[] = [];

const publish = async (type: string, data: Record<string, unknown> = {}) =>
  (await h.ok(PUBLISH_EVENT, { input: { type, data } }, project.key)).publishEvent.event.id as string;

async function statusOf(eventId: string): Promise<string> {
  const { deliveries } = await h.ok('query($e: ID) { deliveries(eventId: $e) { edges { node { status } } } }', { e: eventId }, project.key);
  return deliveries.edges[0]?.node.status;
}

const billingFails = (fail: boolean) => billing.respondWith((_req, res) => res.writeHead(fail ? 500 : 200).end(fail ? 'billing is down' : 'ok'));

beforeAll(async () => {
  await buildDashboard();
  await mkdir(ARTIFACTS, { recursive: true });
  h = await startHarness();
  h.startWorker();
  orders = await startReceiver();
  billing = await startReceiver();
  project = await h.createProject('Acme shop');
  const create = async (input: Record<string, unknown>) => (await h.ok(CREATE_WEBHOOK, { input }, project.key)).createWebhook.webhook.id as string;
  hooks = {
    orders: await create({ url: orders.url, events: ['order.*'], name: 'Orders service' }),
    billing: await create({ url: billing.url, events: ['invoice.*'], name: 'Billing', retryPolicy: { schedule: [] } }),
    paused: await create({ url: 'http://127.0.0.1:9/paused', events: ['user.*'], name: 'CRM sync', active: false }),
  };
  billingFails(true);
  for (let i = 0; i < 3; i++) await publish('order.created', { orderId: `ord_${i}` });
  const failed = await publish('invoice.paid', { invoiceId: 'inv_1' });
  await waitUntil(async () => (await statusOf(failed)) === 'FAILED', 15_000, 'a dead letter');
  await waitUntil(async () => orders.requests.length === 3, 15_000, 'three orders delivered');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchPage(page, h.url, { foreign, problems });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await orders?.close();
  await billing?.close();
});

describe('the dashboard at /dashboard', () => {
  it('loads with every asset served by Hookpost, takes a project key from the keyboard and shows the project', async () => {
    const res = await page.goto(`${h.url}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    // The key field has focus: type the key and press Enter.
    await page.keyboard.type(project.key);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.textContent('#project-name')).toContain('Acme shop');
    expect(await page.locator('#webhooks li.hook').count()).toBe(3);
    const paused = page.locator(`#webhooks li[data-webhook-id="${hooks.paused}"]`);
    expect(await paused.textContent()).toContain('disabled');
    expect(await paused.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    expect(await page.textContent(`#webhooks li[data-webhook-id="${hooks.orders}"] .mini`)).toMatch(/attempts3success100 %/);
    expect(await page.textContent('#dead-count')).toBe('1');
    expect(await page.locator('#feed li[data-attempt-id]').count()).toBe(4);
    // The key lives in this tab's sessionStorage only.
    const storage = await page.evaluate(() => ({ session: sessionStorage.getItem('hookpost.key'), local: localStorage.length, cookies: document.cookie }));
    expect(storage).toEqual({ session: project.key, local: 0, cookies: '' });
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("shows a published event's attempt in the live feed within a second, without a reload", async () => {
    await page.waitForSelector('#live[data-state="connected"]');
    // The page's subscription is live once a first event's attempt has reached the feed.
    const warmUp = await publish('order.shipped', { orderId: 'ord_warm' });
    await page.waitForSelector(`#feed li[data-event-id="${warmUp}"]`, { timeout: 15_000 });
    const eventId = await publish('order.shipped', { orderId: 'ord_live' });
    // From the moment publishEvent accepted the event: worker, attempt, Redis, API, WebSocket, page.
    const published = Date.now();
    const row = await page.waitForSelector(`#feed li[data-event-id="${eventId}"]`, { timeout: 1000 });
    expect(Date.now() - published).toBeLessThan(1000);
    expect(await row.textContent()).toContain('order.shipped');
    expect(await page.evaluate(() => document.querySelector('#feed li')?.getAttribute('data-event-id'))).toBe(eventId);
  });

  it('reads at 1280 px and at phone width without sideways scrolling (screenshots saved)', async () => {
    await page.waitForFunction(() => document.querySelector('#dead-count')?.textContent === '1');
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      const layout = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        panels: [...document.querySelectorAll('.panel')].map((p) => p.getBoundingClientRect().right),
      }));
      expect(layout.scroll).toBeLessThanOrEqual(layout.viewport);
      for (const right of layout.panels) expect(right).toBeLessThanOrEqual(width);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('opens an attempt by keyboard: request headers, response status, headers and body; Escape closes it', async () => {
    const row = page.locator('#feed li[data-attempt-id] button.row').first();
    await row.focus({ timeout: 2000 });
    await page.keyboard.press('Enter');
    const dialog = page.locator('#attempt-dialog');
    await page.waitForSelector('#attempt-dialog[open] .facts', { timeout: 5000 });
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('order.shipped · attempt 1');
    expect(text).toContain('webhook-signature');
    expect(text).toMatch(/x-hookpost-delivery/i);
    expect(text).toMatch(/Answer200 in \d+ ms/);
    expect(text).toContain('"content-type": "text/plain"');
    expect(await dialog.locator('section.block', { hasText: 'Response body' }).locator('pre').textContent({ timeout: 2000 })).toBe('ok');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#attempt-dialog:not([open])', { state: 'attached', timeout: 2000 });
    expect(await page.evaluate(() => document.activeElement?.classList.contains('row'))).toBe(true);
  });

  it('retries a dead letter from the page', async () => {
    billingFails(false);
    const item = page.locator('#dead li[data-delivery-id]').first();
    const deliveryId = await item.getAttribute('data-delivery-id');
    await item.getByRole('button', { name: 'Retry' }).click();
    await waitUntil(
      async () => (await h.deps.db.delivery.findUniqueOrThrow({ where: { id: deliveryId! } })).status === 'SUCCEEDED',
      10_000,
      'the retried delivery SUCCEEDED',
    );
    await page.waitForFunction(() => document.querySelector('#dead-count')?.textContent === '0', undefined, { timeout: 5000 });
    expect(await page.textContent('#notice')).toContain(`Delivery ${deliveryId} queued again`);
    expect(await page.locator(`#feed li[data-delivery-id="${deliveryId}"].ok`).count()).toBe(1);
  });

  it('recovers a window of dead letters', async () => {
    billingFails(true);
    const failed = [await publish('invoice.paid', { invoiceId: 'inv_2' }), await publish('invoice.paid', { invoiceId: 'inv_3' })];
    for (const id of failed) await waitUntil(async () => (await statusOf(id)) === 'FAILED', 15_000, 'dead letters');
    await page.waitForFunction(() => document.querySelector('#dead-count')?.textContent === '2', undefined, { timeout: 5000 });
    billingFails(false);
    await page.selectOption('#recover-webhook', hooks.billing);
    await page.click('#recover button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#notice')?.textContent?.startsWith('2 dead letter(s) recovered'), undefined, { timeout: 5000 });
    for (const id of failed) await waitUntil(async () => (await statusOf(id)) === 'SUCCEEDED', 15_000, 'recovered deliveries SUCCEEDED');
  });

  it('sends a test event from a webhook card', async () => {
    const before = orders.requests.length;
    await page.locator(`#webhooks li[data-webhook-id="${hooks.orders}"]`).getByRole('button', { name: 'Send test event' }).click();
    // The dialog offers the catalog's types; webhook.test is chosen to begin with.
    await page.waitForSelector('#test-dialog[open]');
    await page.click('#test-send');
    const [req] = (await orders.waitFor(before + 1)).slice(before);
    expect(JSON.parse(req.body)).toMatchObject({ type: 'webhook.test', data: { test: true } });
    await page.waitForSelector(`#feed li[data-delivery-id="${req.headers['x-hookpost-delivery']}"]`, { timeout: 5000 });
  });

  it('can be used with the keyboard alone: Tab reaches every control', async () => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el ? `${el.tagName.toLowerCase()}#${el.id}.${el.className}|${el.textContent?.trim().slice(0, 20)}` : '';
        }),
      );
    }
    const all = [...reached].join('\n');
    const controls = [
      'a#.skip|Skip to content',
      'select#window',
      'button#forget.|Forget key',
      '|Send test event',
      'button#.row|',
      'select#recover-webhook',
      'input#recover-since',
      'input#recover-until',
      '|Recover dead letters',
    ];
    for (const expected of controls) {
      expect(all).toContain(expected);
    }
  });

  it('made no failed request, and none to anywhere but Hookpost, during the whole session', () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
