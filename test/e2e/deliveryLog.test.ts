// The delivery log in a real browser (Debian's Chromium via playwright-core), as ComplianceLayer's
// customers use it: page through every delivery, filter by endpoint, status, event type and time,
// find one event's or one delivery's, open a delivery and its attempts. Then the same log through a
// tenant token, which sees its tenant's deliveries only. The steps share one page and run in order.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { watchPage } from '../support/pageWatch.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const CHROMIUM = '/usr/bin/chromium';

interface Row {
  id: string;
  status: string;
  event: { id: string; type: string };
  webhook: { id: string };
}

let h: Harness;
let inbox: Receiver;
let archive: Receiver;
let project: { projectId: string; key: string };
let hooks: { inbox: string; archive: string; acme: string };
let browser: Browser;
let page: Page;
let started: number;
const problems: string[] = [];
const foreign: string[] = [];

const TRUTH = /* GraphQL */ `query($w: ID, $s: DeliveryStatus, $t: String, $e: ID) {
  deliveries(first: 100, webhookId: $w, status: $s, eventType: $t, eventId: $e) { totalCount edges { node { id status event { id type } webhook { id } } } }
}`;
/** What the API itself says a filter holds, with the project key. */
const truth = async (vars: Record<string, unknown> = {}): Promise<Row[]> =>
  (await h.ok(TRUTH, vars, project.key)).deliveries.edges.map((e: { node: Row }) => e.node);
const ids = (rows: { id: string }[]) => new Set(rows.map((r) => r.id));

/** The rows the page shows now. */
const shown = (p: Page = page) =>
  p.$$eval('#log li[data-delivery-id]', (els) =>
    els.map((e) => ({
      id: e.getAttribute('data-delivery-id')!,
      webhook: e.getAttribute('data-webhook-id')!,
      event: e.getAttribute('data-event-id')!,
      status: e.getAttribute('data-status')!,
      type: e.querySelector('.type')?.textContent ?? '',
    })),
  );

/** Waits until the log has drawn an answer whose summary starts so (and, if given, that page). */
async function settled(summary: string, pageLabel?: string, p: Page = page): Promise<void> {
  await p.waitForFunction(
    ([s, label]) =>
      document.querySelector('#log')?.getAttribute('aria-busy') === 'false' &&
      (document.querySelector('#log-summary')?.textContent ?? '').startsWith(s) &&
      (!label || document.querySelector('#log-page')?.textContent === label),
    [summary, pageLabel ?? ''] as const,
    { timeout: 10_000 },
  );
}

/** A datetime-local value for an instant, in the browser's own time zone. */
const localInput = (at: number) =>
  page.evaluate((t) => {
    const d = new Date(t);
    return new Date(t - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }, at);

function watch(p: Page): void {
  watchPage(p, h.url, { foreign, problems });
}

beforeAll(async () => {
  started = Date.now();
  await buildDashboard();
  await mkdir(ARTIFACTS, { recursive: true });
  // Ten dead letters of two attempts each would pass the default auto-disable threshold.
  h = await startHarness({ HOOKPOST_DISABLE_AFTER_FAILURES: '1000' });
  h.startWorker();
  inbox = await startReceiver();
  archive = await startReceiver();
  archive.respondWith((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('archive is down'));
  project = await h.createProject('ComplianceLayer');
  const create = async (input: Record<string, unknown>) => (await h.ok(CREATE_WEBHOOK, { input }, project.key)).createWebhook.webhook.id as string;
  hooks = {
    inbox: await create({ url: inbox.url, events: ['filing.*'], name: 'Compliance inbox' }),
    archive: await create({ url: archive.url, events: ['filing.rejected'], name: 'Audit archive', retryPolicy: { schedule: [0.1] } }),
    acme: await create({ url: `${inbox.url}?tenant=acme`, events: ['report.*'], name: 'Acme reports', tenantId: 'acme' }),
  };
  // 30 events of two types: every third is a rejection, which the archive also gets and refuses.
  const events = Array.from({ length: 30 }, (_, i) => ({ type: i % 3 === 2 ? 'filing.rejected' : 'filing.submitted', data: { filingId: `fil_${i}` } }));
  const publish = `mutation($e: [PublishEventItem!]!, $t: String) { publishEvents(input: { events: $e, tenantId: $t }) { deliveryCount } }`;
  expect((await h.ok(publish, { e: events }, project.key)).publishEvents.deliveryCount).toBe(40);
  const reports = Array.from({ length: 3 }, (_, i) => ({ type: 'report.filed', data: { reportId: `rep_${i}` } }));
  expect((await h.ok(publish, { e: reports, t: 'acme' }, project.key)).publishEvents.deliveryCount).toBe(3);
  await waitUntil(
    async () => {
      const all = await truth();
      return all.filter((d) => d.status === 'SUCCEEDED').length === 33 && all.filter((d) => d.status === 'FAILED').length === 10;
    },
    20_000,
    '33 deliveries succeeded and 10 dead-lettered',
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watch(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await inbox?.close();
  await archive?.close();
});

describe('the delivery log', () => {
  it('opens with a project key on the newest page of every endpoint’s deliveries', async () => {
    await page.goto(`${h.url}/dashboard`);
    await page.keyboard.type(project.key);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await settled('43 deliveries', 'Page 1 of 2');
    const rows = await shown();
    expect(rows).toHaveLength(25);
    // Newest first, as the API orders them.
    expect(rows.map((r) => r.id)).toEqual((await truth()).slice(0, 25).map((r) => r.id));
    // The endpoint filter offers every endpoint of the project.
    const options = await page.$$eval('#log-webhook option', (els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(new Set(options)).toEqual(new Set(['', hooks.inbox, hooks.archive, hooks.acme]));
  });

  it('pages through every delivery with Older and back with Newer: the pages together are what the API holds', async () => {
    await page.getByLabel('Per page').selectOption('10');
    await settled('43 deliveries', 'Page 1 of 5');
    const pages: string[][] = [];
    for (let n = 1; ; n++) {
      await settled('43 deliveries', `Page ${n} of 5`);
      pages.push((await shown()).map((r) => r.id));
      const older = page.getByRole('button', { name: 'Older', exact: true });
      if (await older.isDisabled()) break;
      await older.click();
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 3]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(ids(await truth()));
    expect(all).toEqual([...all].sort().reverse());
    // Back by keyboard: each Newer gives the page seen before, the same rows.
    await page.getByRole('button', { name: 'Newer', exact: true }).focus();
    for (let n = 4; n >= 1; n--) {
      await page.keyboard.press('Enter');
      await settled('43 deliveries', `Page ${n} of 5`);
      expect((await shown()).map((r) => r.id)).toEqual(pages[n - 1]);
    }
    expect(await page.getByRole('button', { name: 'Newer', exact: true }).isDisabled()).toBe(true);
  });

  it('filters by endpoint and by status: FAILED is exactly the failing endpoint’s deliveries', async () => {
    const archived = await truth({ w: hooks.archive });
    expect(archived).toHaveLength(10);
    await page.getByLabel('Endpoint', { exact: true }).selectOption(hooks.archive);
    await settled('10 deliveries match', 'Page 1 of 1');
    expect(ids(await shown())).toEqual(ids(archived));
    await page.getByLabel('Endpoint', { exact: true }).selectOption(hooks.inbox);
    await settled('30 deliveries match', 'Page 1 of 3');
    expect((await shown()).every((r) => r.webhook === hooks.inbox && r.status === 'SUCCEEDED')).toBe(true);

    await page.getByLabel('Endpoint', { exact: true }).selectOption('');
    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    await settled('10 deliveries match', 'Page 1 of 1');
    const failed = await shown();
    expect(ids(failed)).toEqual(ids(archived));
    expect(failed.every((r) => r.status === 'FAILED' && r.type === 'filing.rejected')).toBe(true);
    expect(await page.getByRole('button', { name: 'Older', exact: true }).isDisabled()).toBe(true);
  });

  it('filters by event type and by time range', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await settled('43 deliveries', 'Page 1 of 2');
    const rejected = await truth({ t: 'filing.rejected' });
    expect(rejected).toHaveLength(20);
    await page.getByLabel('Event type (exact)').fill('filing.rejected');
    await page.keyboard.press('Enter');
    await settled('20 deliveries match', 'Page 1 of 1');
    const rows = await shown();
    expect(ids(rows)).toEqual(ids(rejected));
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['filing.rejected']));

    // Everything was created after the test started: a range ending a minute before holds nothing.
    await page.getByLabel('Created before').fill(await localInput(started - 60_000));
    await page.getByRole('button', { name: 'Show deliveries' }).click();
    await settled('0 deliveries match');
    expect(await page.textContent('#log')).toContain('No deliveries match these filters.');
    await page.getByLabel('Created before').fill('');
    await page.getByLabel('Created from').fill(await localInput(started - 60_000));
    await page.getByRole('button', { name: 'Show deliveries' }).click();
    await settled('20 deliveries match');
    expect(ids(await shown())).toEqual(ids(rejected));
  });

  it('finds an event’s deliveries by its id, one delivery by its id, and says what it cannot look up', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await settled('43 deliveries', 'Page 1 of 2');
    const dead = (await truth({ w: hooks.archive }))[3];
    const ofEvent = await truth({ e: dead.event.id });
    expect(ofEvent).toHaveLength(2);
    const search = page.getByLabel('Find by id');
    await search.fill(dead.event.id);
    await search.press('Enter');
    await settled('2 deliveries match');
    expect(ids(await shown())).toEqual(ids(ofEvent));
    expect(await page.textContent('#log-summary')).toContain(dead.event.id);

    await search.fill(dead.id);
    await search.press('Enter');
    await settled(`Delivery ${dead.id}`);
    expect((await shown()).map((r) => r.id)).toEqual([dead.id]);
    expect(await page.getByRole('button', { name: 'Older', exact: true }).isDisabled()).toBe(true);

    await search.fill('dlv_0000000000000000000000000000dead');
    await search.press('Enter');
    await settled('No delivery dlv_0000000000000000000000000000dead is visible');
    expect(await shown()).toEqual([]);
    await search.fill('order-42-attempt-1');
    await search.press('Enter');
    await settled('“order-42-attempt-1” is neither an event id');
    expect(await page.textContent('#log-summary')).toContain('Idempotency keys cannot be searched');
    await search.fill(dead.id);
    await search.press('Enter');
    await settled(`Delivery ${dead.id}`);
  });

  it('opens a delivery by keyboard: its attempts with their status codes, each opening in full', async () => {
    const dead = (await shown())[0];
    const row = page.locator(`#log li[data-delivery-id="${dead.id}"] button.row`);
    await row.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('#delivery-dialog');
    await page.waitForSelector('#delivery-dialog[open] .attempts', { timeout: 5000 });
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('filing.rejected to Audit archive');
    expect(text).toContain(dead.event);
    expect(text).toContain('failed after 2 attempts');
    const attempts = await dialog.locator('.attempts li').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(attempts).toEqual(['500', '500']);
    expect(await dialog.locator('.attempts li').first().textContent()).toMatch(/500#2\d+ ms/);
    await dialog.screenshot({ path: path.join(ARTIFACTS, 'delivery-log-dialog.png') });

    await dialog.locator('.attempts button.row').last().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#attempt-dialog[open] .facts', { timeout: 5000 });
    const attempt = (await page.textContent('#attempt-dialog')) ?? '';
    expect(attempt).toContain('filing.rejected · attempt 1');
    expect(attempt).toMatch(/Answer500 in \d+ ms/);
    expect(attempt).toContain('archive is down');
    // Escape closes the attempt first, back on its button in the delivery; then the delivery, back on its row.
    await page.keyboard.press('Escape');
    await page.waitForSelector('#attempt-dialog:not([open])', { state: 'attached', timeout: 2000 });
    expect(await page.evaluate(() => document.activeElement?.closest('#delivery-dialog') != null)).toBe(true);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#delivery-dialog:not([open])', { state: 'attached', timeout: 2000 });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-focus'))).toBe(`log:${dead.id}`);
  });

  it('reads at 1280 px and at phone width without sideways scrolling (screenshots saved)', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await settled('43 deliveries', 'Page 1 of 2');
    const section = page.locator('section[aria-labelledby="h-log"]');
    await section.screenshot({ path: path.join(ARTIFACTS, 'delivery-log-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    const layout = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(layout.scroll).toBeLessThanOrEqual(layout.viewport);
    await section.screenshot({ path: path.join(ARTIFACTS, 'delivery-log-390.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('with a tenant token, lists that tenant’s deliveries and endpoints only', async () => {
    const { createTenantToken } = await h.ok('mutation { createTenantToken(input: { tenantId: "acme", expiresInSeconds: 600 }) { token } }', {}, project.key);
    const portal = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(portal);
    await portal.goto(`${h.url}/dashboard#token=${createTenantToken.token}`);
    await portal.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await settled('3 deliveries', 'Page 1 of 1', portal);
    const rows = await shown(portal);
    expect(ids(rows)).toEqual(ids(await truth({ w: hooks.acme })));
    expect(rows.every((r) => r.webhook === hooks.acme && r.type === 'report.filed')).toBe(true);
    const options = await portal.$$eval('#log-webhook option', (els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(['', hooks.acme]);
    // Another endpoint's delivery is not found, exactly as one that never existed.
    await portal.getByLabel('Find by id').fill((await truth({ w: hooks.archive }))[0].id);
    await portal.getByLabel('Find by id').press('Enter');
    await settled('No delivery', undefined, portal);
    await portal.screenshot({ path: path.join(ARTIFACTS, 'delivery-log-tenant.png'), fullPage: true });
    await portal.close();
  });

  it('made no failed request, and none to anywhere but Hookpost, during the whole session', () => {
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
