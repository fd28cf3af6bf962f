// Managing endpoints from the page, in a real browser (Debian's Chromium via playwright-core), as
// ComplianceLayer's doc walks its customers through it: add an endpoint for their receiver, copy the
// secret shown once, send a test event and check its signature, find it in the log, rotate the secret
// and finish the rotation, edit, disable (holding a retry) and enable the endpoint, delete it. The
// steps share one page and run in order.
import { createHmac } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { watchPage } from '../support/pageWatch.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const CHROMIUM = '/usr/bin/chromium';
const FILING_EXAMPLE = { filingId: 'fil_1042', jurisdiction: 'EU', amount: 1250 };

let h: Harness;
let inbox: Receiver;
let project: { projectId: string; key: string };
let tenantHooks: { acme: string; globex: string };
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const foreign: string[] = [];

const SETTINGS =
  'query($id: ID!) { webhook(id: $id) { id url name description events filter headers ordered retryPolicy active tenantId previousSecretExpiresAt } }';
const settingsOf = async (id: string) => (await h.ok(SETTINGS, { id }, project.key)).webhook;
const card = (id: string): Locator => page.locator(`#webhooks li[data-webhook-id="${id}"]`);
const button = (scope: Locator | Page, name: string) => scope.getByRole('button', { name, exact: true });
/** The branded header as ComplianceLayer's receiver checks it: a hex HMAC of the body, keyed by the secret. */
const branded = (body: string, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const sendTest = async (id: string) => {
  const before = inbox.requests.length;
  await button(card(id), 'Send test event').click();
  await page.waitForSelector('#test-dialog[open]');
  await button(page, 'Send').click();
  return (await inbox.waitFor(before + 1))[before];
};

beforeAll(async () => {
  await buildDashboard();
  await mkdir(ARTIFACTS, { recursive: true });
  h = await startHarness();
  h.startWorker();
  inbox = await startReceiver();
  project = await h.createProject('ComplianceLayer');
  const createType = (input: Record<string, unknown>) =>
    h.ok('mutation($input: CreateEventTypeInput!) { createEventType(input: $input) { eventType { id } } }', { input }, project.key);
  await createType({ name: 'filing.submitted', description: 'A filing was submitted to a regulator', example: FILING_EXAMPLE });
  await createType({ name: 'filing.rejected', description: 'The regulator sent a filing back' });
  const create = async (input: Record<string, unknown>) => (await h.ok(CREATE_WEBHOOK, { input }, project.key)).createWebhook.webhook.id as string;
  tenantHooks = {
    acme: await create({ url: 'http://127.0.0.1:9/acme', events: ['filing.*'], name: 'Acme filings', tenantId: 'acme' }),
    globex: await create({ url: 'http://127.0.0.1:9/globex', events: ['filing.*'], name: 'Globex filings', tenantId: 'globex' }),
  };

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The Copy button writes to the clipboard; the test reads it back to see what was copied.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.url });
  page = await context.newPage();
  watchPage(page, h.url, { foreign, problems });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await inbox?.close();
});

describe('managing endpoints from the page', () => {
  let webhookId: string;
  let secret: string;

  it('opens with a project key and lists every endpoint of the project', async () => {
    await page.goto(`${h.url}/dashboard`);
    await page.keyboard.type(project.key);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    const ids = await page.$$eval('#webhooks li.hook', (els) => els.map((e) => e.getAttribute('data-webhook-id')));
    expect(new Set(ids)).toEqual(new Set([tenantHooks.acme, tenantHooks.globex]));
    expect(await card(tenantHooks.acme).textContent()).toContain('tenantacme');
  });

  it('adds an endpoint from the form: catalog types with their descriptions, a filter tried first, a header, a retry schedule', async () => {
    await button(page, 'Add endpoint').click();
    await page.waitForSelector('#endpoint-dialog[open]');
    // The form opens on its first field, and every field has a label.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('ep-url');
    await page.getByLabel('URL', { exact: true }).fill(inbox.url);
    await page.getByLabel('Name (optional)').fill('Compliance inbox');
    await page.getByLabel('Description (optional)').fill('Filings for the compliance team');
    const submitted = page.getByLabel('filing.submitted', { exact: true });
    expect(await page.locator('#ep-catalog li', { has: submitted }).textContent()).toContain('A filing was submitted to a regulator');
    await submitted.check();

    await page.locator('#ep-filter').fill('{"data.jurisdiction": "EU"}');
    await page.getByLabel('Try it on an event of type').selectOption('filing.submitted');
    // The sample data is the catalog's example for that type.
    expect(JSON.parse(await page.locator('#ep-try-data').inputValue())).toEqual(FILING_EXAMPLE);
    await button(page, 'Try filter').click();
    await expect.poll(() => page.textContent('#ep-try-result')).toContain('Matches');
    await page.getByLabel('with data', { exact: true }).fill('{"jurisdiction": "US"}');
    await button(page, 'Try filter').click();
    await expect.poll(() => page.textContent('#ep-try-result')).toContain('No match');

    await button(page, 'Add header').click();
    // The new row's name field has focus: type it, Tab to its value.
    await page.keyboard.type('X-Customer');
    await page.keyboard.press('Tab');
    await page.keyboard.type('compliancelayer');
    await page.getByLabel('Retry schedule: seconds to wait after each failed attempt').fill('5, 30');
    const form = page.locator('#endpoint-dialog');
    await form.evaluate((d) => d.scrollTo(0, 0));
    await form.screenshot({ path: path.join(ARTIFACTS, 'endpoints-form.png') });

    await page.locator('#endpoint-save').click();
    secret = (await (await page.waitForSelector('#secret-dialog[open] #new-secret', { timeout: 5000 })).textContent())!;
    expect(secret).toMatch(/^whsec_/);
    expect(await page.isVisible('#endpoint-dialog')).toBe(false);
    await button(page, 'Copy').click();
    await expect.poll(() => page.textContent('#secret-dialog [role="status"]')).toBe('Copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.keyboard.press('Escape');
    // Shown once: gone from the page with the dialog.
    await expect.poll(() => page.textContent('#secret-body')).toBe('');

    const { webhooks } = await h.ok('{ webhooks(first: 10) { edges { node { id url } } } }', {}, project.key);
    webhookId = webhooks.edges.find((e: { node: { url: string } }) => e.node.url === inbox.url).node.id;
    expect(await settingsOf(webhookId)).toMatchObject({
      name: 'Compliance inbox',
      description: 'Filings for the compliance team',
      events: ['filing.submitted'],
      filter: { 'data.jurisdiction': 'EU' },
      headers: { 'X-Customer': 'compliancelayer' },
      ordered: false,
      retryPolicy: { schedule: [5, 30] },
      active: true,
      tenantId: null,
    });
    await page.waitForSelector(`#webhooks li[data-webhook-id="${webhookId}"] .secret-hint:text("••••${secret.slice(-4)}")`, { timeout: 5000 });
  });

  it('sends a test event of a chosen type, signed with that secret, and finds its attempt in the log', async () => {
    const before = inbox.requests.length;
    await button(card(webhookId), 'Send test event').click();
    await page.waitForSelector('#test-dialog[open]');
    await page.getByLabel('Event type', { exact: true }).selectOption('filing.submitted');
    expect(await page.textContent('#test-description')).toBe('A filing was submitted to a regulator');
    expect(JSON.parse((await page.textContent('#test-example'))!)).toEqual({ ...FILING_EXAMPLE, test: true });
    await button(page, 'Send').click();
    const [req] = (await inbox.waitFor(before + 1)).slice(before);
    // The receiver checks the signature as its docs say, with the secret it copied.
    const verified = new StandardWebhook(secret).verify(req.body, req.headers as Record<string, string>);
    expect(verified).toMatchObject({ type: 'filing.submitted', data: { ...FILING_EXAMPLE, test: true } });
    expect(req.headers['x-customer']).toBe('compliancelayer');

    const deliveryId = req.headers['x-hookpost-delivery'] as string;
    const row = page.locator(`#feed li[data-delivery-id="${deliveryId}"] button.row`);
    await row.waitFor({ timeout: 5000 });
    await row.click();
    await page.waitForSelector('#attempt-dialog[open] .facts', { timeout: 5000 });
    const dialog = page.locator('#attempt-dialog');
    expect(await dialog.textContent()).toContain(inbox.url);
    expect(await dialog.textContent()).toMatch(/Answer200 in \d+ ms/);
    expect(await dialog.locator('section.block', { hasText: 'Request headers' }).textContent()).toContain('"X-Customer": "compliancelayer"');
    expect(JSON.parse((await dialog.locator('section.block', { hasText: 'Request body' }).locator('pre').textContent())!)).toEqual({
      ...FILING_EXAMPLE,
      test: true,
    });
    expect(await dialog.locator('section.block', { hasText: 'Response body' }).locator('pre').textContent()).toBe('ok');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#attempt-dialog:not([open])', { state: 'attached' });
  });

  it('rotates the secret: the old one alone signs the branded header until Finish rotation', async () => {
    const old = secret;
    await button(card(webhookId), 'Rotate secret').click();
    await button(page, 'Rotate now').click();
    secret = (await (await page.waitForSelector('#secret-dialog[open] #new-secret', { timeout: 5000 })).textContent())!;
    expect(await page.textContent('#secret-body')).toContain('Once your receiver uses this new secret, finish the rotation');
    await page.keyboard.press('Escape');
    const rotation = card(webhookId).locator('.rotation');
    expect(await rotation.textContent({ timeout: 5000 })).toMatch(/old secret still signs until .+; finish once your receiver has the new secret/);

    // A receiver holding only the old secret still accepts a delivery made during the rotation.
    const during = await sendTest(webhookId);
    expect(during.headers['x-hookpost-signature']).toBe(branded(during.body, old));
    expect(new StandardWebhook(secret).verify(during.body, during.headers as Record<string, string>)).toBeTruthy();

    await button(card(webhookId), 'Finish rotation').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await button(page, 'Finish now').click();
    await waitUntil(async () => (await settingsOf(webhookId)).previousSecretExpiresAt === null, 5000, 'the rotation finished');
    await rotation.waitFor({ state: 'detached', timeout: 5000 });
    expect(await button(card(webhookId), 'Finish rotation').count()).toBe(0);
    const after = await sendTest(webhookId);
    expect(after.headers['x-hookpost-signature']).toBe(branded(after.body, secret));
    expect(() => new StandardWebhook(old).verify(after.body, after.headers as Record<string, string>)).toThrow();
  });

  it("edits the endpoint's description in the same form, which keeps everything else", async () => {
    const edit = button(card(webhookId), 'Edit');
    await edit.click();
    await page.waitForSelector('#endpoint-dialog[open]');
    expect(await page.textContent('#endpoint-title')).toBe('Edit Compliance inbox');
    expect(await page.getByLabel('URL', { exact: true }).inputValue()).toBe(inbox.url);
    expect(await page.getByLabel('filing.submitted', { exact: true }).isChecked()).toBe(true);
    expect(await page.locator('#ep-headers .h-name').inputValue()).toBe('X-Customer');
    expect(await page.getByLabel('Retry schedule: seconds to wait after each failed attempt').inputValue()).toBe('5, 30');
    await page.getByLabel('Description (optional)').fill('Filings and rejections for the compliance team');
    await button(page, 'Save changes').click();
    await page.waitForSelector('#endpoint-dialog:not([open])', { state: 'attached' });
    expect(await settingsOf(webhookId)).toMatchObject({
      description: 'Filings and rejections for the compliance team',
      events: ['filing.submitted'],
      filter: { 'data.jurisdiction': 'EU' },
      headers: { 'X-Customer': 'compliancelayer' },
      retryPolicy: { schedule: [5, 30] },
    });
    await card(webhookId).locator('.description', { hasText: 'Filings and rejections' }).waitFor({ timeout: 5000 });
    // Focus is back on the card's Edit button, though the card was redrawn.
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.focus)).toBe(`${webhookId}:edit`);
  });

  it('disables the endpoint, which holds its retrying delivery, and enables it again', async () => {
    // The receiver fails once: its delivery is due again in 5 s (the schedule 5, 30), then disabled.
    inbox.respondWith((_req, res) => res.writeHead(500).end('down'));
    const failed = await sendTest(webhookId);
    inbox.respondWith((_req, res) => res.writeHead(200).end('ok'));
    const deliveryId = failed.headers['x-hookpost-delivery'] as string;
    const status = async () => (await h.ok('query($id: ID!) { delivery(id: $id) { status } }', { id: deliveryId }, project.key)).delivery.status;
    await waitUntil(async () => (await status()) === 'RETRYING', 5000, 'the delivery retrying');
    await button(card(webhookId), 'Disable').click();
    await waitUntil(async () => (await settingsOf(webhookId)).active === false, 5000, 'the endpoint disabled');
    await button(card(webhookId), 'Enable').waitFor({ timeout: 5000 });
    expect(await card(webhookId).locator('.state').textContent()).toBe('disabled');
    expect(await button(card(webhookId), 'Send test event').isDisabled()).toBe(true);
    await page.locator(`#feed li[data-delivery-id="${deliveryId}"] button.row`).click();
    expect(await page.locator('#attempt-dialog[open] .facts').textContent({ timeout: 5000 })).toContain('Next attemptheld: webhook disabled');
    await page.keyboard.press('Escape');

    await button(card(webhookId), 'Enable').click();
    await waitUntil(async () => (await settingsOf(webhookId)).active === true, 5000, 'the endpoint enabled');
    await button(card(webhookId), 'Disable').waitFor({ timeout: 5000 });
    expect(await card(webhookId).locator('.state').textContent()).toBe('active');
    // Enabled, it sends what it held.
    await waitUntil(async () => (await status()) === 'SUCCEEDED', 15_000, 'the held delivery sent');
    await page.screenshot({ path: path.join(ARTIFACTS, 'endpoints-1280.png'), fullPage: true });
  });

  it('deletes the endpoint only once the confirmation says so', async () => {
    await button(card(webhookId), 'Delete').click();
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await page.textContent('#confirm-title')).toBe('Delete Compliance inbox?');
    // Cancel has focus: Enter keeps the endpoint.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
    expect((await settingsOf(webhookId)).id).toBe(webhookId);

    await button(card(webhookId), 'Delete').click();
    await page.waitForSelector('#confirm-dialog[open]');
    await button(page, 'Delete endpoint').click();
    await waitUntil(
      async () => (await h.gql(SETTINGS, { id: webhookId }, project.key)).errors?.[0]?.extensions?.code === 'NOT_FOUND',
      5000,
      'the endpoint gone',
    );
    const { webhooks } = await h.ok('{ webhooks(first: 10) { edges { node { id } } } }', {}, project.key);
    expect(webhooks.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(webhookId);
    await card(webhookId).waitFor({ state: 'detached', timeout: 5000 });
  });

  it("a tenant token's page lists that tenant's endpoints only, and adds new ones for that tenant", async () => {
    const { createTenantToken } = await h.ok('mutation { createTenantToken(input: { tenantId: "acme" }) { token } }', {}, project.key);
    await page.goto(`${h.url}/portal#token=${createTenantToken.token}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.$$eval('#webhooks li.hook', (els) => els.map((e) => e.getAttribute('data-webhook-id')))).toEqual([tenantHooks.acme]);
    expect(await page.textContent('main')).not.toContain('Globex filings');

    await button(page, 'Add endpoint').click();
    await page.waitForSelector('#endpoint-dialog[open]');
    await page.getByLabel('URL', { exact: true }).fill(`${inbox.url}/acme`);
    await page.getByLabel('filing.rejected', { exact: true }).check();
    await page.locator('#endpoint-save').click();
    await page.waitForSelector('#secret-dialog[open] #new-secret', { timeout: 5000 });
    await button(page, 'Close').click();
    const { webhooks } = await h.ok('query { webhooks(first: 10, tenantId: "acme") { edges { node { id url tenantId } } } }', {}, project.key);
    const added = webhooks.edges.map((e: { node: unknown }) => e.node).find((w: { url: string }) => w.url === `${inbox.url}/acme`);
    expect(added).toMatchObject({ tenantId: 'acme' });
    await card(added.id).waitFor({ timeout: 5000 });
    expect(await page.locator('#webhooks li.hook').count()).toBe(2);
  });

  it('the form reads at phone width without sideways scrolling, and Escape closes it back to its button', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await button(page, 'Add endpoint').click();
    await page.waitForSelector('#endpoint-dialog[open]');
    await button(page, 'Add header').click();
    const layout = await page.evaluate(() => {
      const d = document.querySelector('#endpoint-dialog')!;
      return { scroll: d.scrollWidth, width: d.clientWidth, right: d.getBoundingClientRect().right };
    });
    expect(layout.scroll).toBeLessThanOrEqual(layout.width);
    expect(layout.right).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'endpoints-form-390.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#endpoint-dialog:not([open])', { state: 'attached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('add-endpoint');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('made no failed request, and none to anywhere but Hookpost, during the whole session', () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
