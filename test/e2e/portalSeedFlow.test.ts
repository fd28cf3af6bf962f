// ComplianceLayer's doc, followed by its customer in a real browser (Debian's Chromium): "Settings →
// Webhook Endpoints → Add Webhook, enter the URL, select events, save and copy your signing secret";
// "click the Test button"; after 10 consecutive failures the endpoint is disabled; "re-enable the
// endpoint in Settings". The project carries ComplianceLayer's brand, and the receiver runs the
// signature check that doc prints (test/fixtures/receivers/compliancelayer.ts).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { brand } from '../fixtures/seedBrands.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { PUBLISH_EVENT } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const complianceLayer = brand('ComplianceLayer');

let h: Harness;
let key: string;
let receiver: Receiver;
let browser: Browser;
let page: Page;
/** What the customer's receiver knows: the secret pasted from the page; whether its server is failing. */
const customer = { secret: '', failing: false, refused: 0 };

beforeAll(async () => {
  await buildDashboard();
  await mkdir(ARTIFACTS, { recursive: true });
  h = await startHarness();
  h.startWorker();
  const { createProject } = await h.ok(
    `mutation($d: ProjectDeliveryInput) { createProject(input: { name: "ComplianceLayer", delivery: $d }) { project { id } } }`,
    {
      d: complianceLayer.delivery,
    },
  );
  ({ key } = (
    await h.ok(`mutation($p: ID!) { createApiKey(input: { projectId: $p, name: "settings" }) { key } }`, { p: createProject.project.id })
  ).createApiKey);
  await h.ok(
    'mutation($i: CreateEventTypeInput!) { createEventType(input: $i) { eventType { id } } }',
    {
      i: { name: 'scan.completed', description: 'A compliance scan finished', example: { scan_id: 12345, domain: 'example.com', score: 85, grade: 'B' } },
    },
    key,
  );
  receiver = await startReceiver();
  receiver.respondWith((req, res) => {
    if (customer.failing) return res.writeHead(500).end('down for maintenance');
    if (complianceLayer.accepts(req, customer.secret)) return res.writeHead(200).end('OK');
    customer.refused++;
    res.writeHead(401).end('Invalid signature');
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await h?.close();
});

const button = (name: string) => page.getByRole('button', { name, exact: true });
const WEBHOOKS = `query { webhooks(first: 10) { edges { node { id active disabledReason } } } }`;
const webhooksOf = async () =>
  (await h.ok(WEBHOOKS, {}, key)).webhooks.edges.map((e: { node: { id: string; active: boolean; disabledReason: string | null } }) => e.node);

it('adds the endpoint, verifies a test event with their code, is disabled after 10 failures, and delivers what was held once re-enabled', async () => {
  await page.goto(`${h.url}/dashboard`);
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });

  // Add Webhook: the URL, the events, save, and copy the secret shown once.
  await button('Add endpoint').click();
  await page.waitForSelector('#endpoint-dialog[open]');
  await page.getByLabel('URL', { exact: true }).fill(receiver.url);
  await page.getByLabel('scan.completed', { exact: true }).check();
  // Retries a couple of seconds apart, so that the held ones come back within the test.
  await page.getByLabel('Retry schedule: seconds to wait after each failed attempt').fill('2, 2, 2, 2, 2');
  await page.locator('#endpoint-save').click();
  customer.secret = (await (await page.waitForSelector('#secret-dialog[open] #new-secret', { timeout: 5000 })).textContent()) ?? '';
  expect(customer.secret).toMatch(/^whsec_/);
  await page.keyboard.press('Escape');
  const webhookId = (await webhooksOf())[0].id;
  const card = page.locator(`#webhooks li[data-webhook-id="${webhookId}"]`);

  // The Test button: their receiver code accepts it, with their headers and body.
  await card.getByRole('button', { name: 'Send test event', exact: true }).click();
  await page.waitForSelector('#test-dialog[open]');
  await page.locator('#test-type').selectOption('scan.completed');
  await button('Send').click();
  const [test] = await receiver.waitFor(1);
  expect(test.headers['user-agent']).toBe('ComplianceLayer-Webhooks/1.0');
  expect(test.headers['x-compliancelayer-event']).toBe('scan.completed');
  expect(Object.keys(JSON.parse(test.body))).toEqual(complianceLayer.envelopeKeys);
  expect(JSON.parse(test.body).data).toMatchObject({ scan_id: 12345, test: true });
  expect(customer.refused).toBe(0);

  // Their server goes down: ten scans, ten failed attempts in a row, and the endpoint is disabled.
  customer.failing = true;
  for (let i = 0; i < 10; i++) await h.ok(PUBLISH_EVENT, { input: { type: 'scan.completed', data: { scan_id: i, domain: 'example.com' } } }, key);
  const disabled = await waitUntil(
    async () => (await webhooksOf()).find((w: { active: boolean }) => !w.active),
    30_000,
    'the endpoint disabled after 10 failures',
  );
  expect(disabled.disabledReason).toBe('Disabled after 10 consecutive failed attempts');
  const failedRequests = receiver.requests.length - 1;
  expect(failedRequests).toBe(10);
  await page.reload();
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await expect.poll(() => card.textContent()).toContain('Disabled after 10 consecutive failed attempts');
  await card.screenshot({ path: path.join(ARTIFACTS, 'seed-flow-disabled.png') });

  // Fixed, and re-enabled in Settings: the ten held scans arrive, each accepted by their code.
  customer.failing = false;
  await card.getByRole('button', { name: 'Enable', exact: true }).click();
  await waitUntil(async () => (await webhooksOf())[0].active, 10_000, 'the endpoint enabled');
  const delivered = async () => (await h.deps.db.delivery.count({ where: { webhookId, status: 'SUCCEEDED' } })) === 11;
  await waitUntil(delivered, 30_000, 'the test event and the ten held scans delivered');
  const retried = receiver.requests.slice(1 + failedRequests);
  expect(new Set(retried.map((r) => JSON.parse(r.body).data.scan_id))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
  expect(customer.refused).toBe(0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'seed-flow-enabled.png'), fullPage: true });
}, 120_000);
