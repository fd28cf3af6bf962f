// The tenant portal in a real browser (Debian's Chromium via playwright-core), embedded as a SaaS
// embeds it: its backend mints a tenant token, its page frames /portal with the token in the fragment.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { CREATE_WEBHOOK } from '../support/operations.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { waitUntil } from '../support/wait.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const CHROMIUM = '/usr/bin/chromium';
const CREDENTIAL = 'Bearer acme-receiver-credential-7Q9Z';

let h: Harness;
interface Embedder {
  server: Server;
  origin: string;
  /** What the next page it renders frames. */
  src: string;
}
let saas: Embedder;
let stranger: Embedder;
let acme: Receiver;
let globex: Receiver;
let audit: Receiver;
let project: { projectId: string; key: string };
let hooks: { acme: string; globex: string; audit: string };
let browser: Browser;
let page: Page;
const problems: string[] = [];
const requested: string[] = [];

/**
 * A page of "the SaaS" that frames the portal, as RegPilot's webhooks page would: its server puts the
 * portal's URL, token and all, into the page it renders (the token never travels in a URL it is asked for).
 */
async function startEmbedder(): Promise<Embedder> {
  const embedder = { src: '' } as Embedder;
  embedder.server = createServer((_req, res) => {
    const attr = embedder.src.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><title>RegPilot · Webhooks</title>
      <body style="margin:0;font-family:system-ui,sans-serif;background:#fbf7f4">
        <nav style="display:flex;gap:2rem;align-items:center;padding:.9rem 1.5rem;background:#1f2a44;color:#fff">
          <strong style="color:#e4572e;font-size:1.2rem">RegPilot</strong><span>Filings</span><span>Deadlines</span><u>Webhooks</u>
        </nav>
        <iframe id="portal" title="Webhooks" src="${attr}" style="display:block;width:100%;height:1150px;border:0"></iframe>
      </body>`);
  });
  await new Promise<void>((resolve) => embedder.server.listen(0, '127.0.0.1', resolve));
  embedder.origin = `http://127.0.0.1:${(embedder.server.address() as AddressInfo).port}`;
  return embedder;
}

async function mint(tenantId: string, expiresInSeconds = 3600): Promise<string> {
  const { createTenantToken } = await h.ok(
    `mutation { createTenantToken(input: { tenantId: ${JSON.stringify(tenantId)}, expiresInSeconds: ${expiresInSeconds} }) { token expiresAt } }`,
    {},
    project.key,
  );
  return createTenantToken.token as string;
}

const publish = async (type: string, tenantId: string) =>
  (
    await h.ok(
      `mutation($input: PublishEventInput!) { publishEvent(input: $input) { event { id } } }`,
      { input: { type, data: { for: tenantId }, tenantId } },
      project.key,
    )
  ).publishEvent.event.id as string;

async function settled(eventId: string): Promise<void> {
  await waitUntil(
    async () => {
      const rows = await h.deps.db.delivery.findMany({ where: { eventId } });
      return rows.length > 0 && rows.every((d) => d.status === 'SUCCEEDED');
    },
    15_000,
    `the deliveries of ${eventId}`,
  );
}

/** Opens the portal inside the SaaS page and returns its frame once it is ready (or has expired). */
async function openEmbedded(token: string, query = '?brand=RegPilot&accent=%23e4572e&scheme=light'): Promise<Frame> {
  saas.src = `${h.url}/portal${query}#token=${token}`;
  await page.goto(`${saas.origin}/webhooks`);
  const frame = await waitUntil(() => page.frames().find((f) => f.url().startsWith(`${h.url}/portal`)), 10_000, 'the portal frame');
  await frame.waitForSelector('body[data-ready]', { timeout: 15_000 });
  return frame;
}

beforeAll(async () => {
  await buildDashboard();
  await mkdir(ARTIFACTS, { recursive: true });
  saas = await startEmbedder();
  stranger = await startEmbedder();
  h = await startHarness({ HOOKPOST_PORTAL_FRAME_ANCESTORS: saas.origin });
  h.startWorker();
  [acme, globex, audit] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  project = await h.createProject('RegPilot');
  const create = async (input: Record<string, unknown>) => (await h.ok(CREATE_WEBHOOK, { input }, project.key)).createWebhook.webhook.id as string;
  hooks = {
    acme: await create({ url: acme.url, events: ['report.*'], name: 'Acme compliance inbox', tenantId: 'acme', headers: { Authorization: CREDENTIAL } }),
    globex: await create({ url: globex.url, events: ['report.*'], name: 'Globex CRM', tenantId: 'globex' }),
    audit: await create({ url: audit.url, events: ['*'], name: 'RegPilot audit sink' }),
  };
  for (const [type, tenant] of [
    ['report.filed', 'acme'],
    ['report.filed', 'globex'],
    ['report.approved', 'globex'],
  ])
    await settled(await publish(type, tenant));

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('request', (req) => requested.push(req.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message} in ${expect.getState().currentTestName}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()}: ${res.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await Promise.all([acme, globex, audit].map((r) => r?.close()));
  for (const s of [saas, stranger]) if (s) await new Promise((r) => s.server.close(r));
});

describe('the tenant portal', () => {
  let frame: Frame;
  let token: string;

  it("embedded in the SaaS's page, shows tenant A's endpoints and attempts and none of B's or the project's, in the SaaS's colours", async () => {
    token = await mint('acme');
    frame = await openEmbedded(token);
    expect(await frame.getAttribute('body', 'data-ready')).toBe('true');
    const ids = await frame.$$eval('#webhooks li.hook', (els) => els.map((e) => e.getAttribute('data-webhook-id')));
    expect(ids).toEqual([hooks.acme]);
    const text = (await frame.textContent('main')) ?? '';
    expect(text).toContain('Acme compliance inbox');
    for (const other of ['Globex CRM', 'RegPilot audit sink', globex.url, audit.url]) expect(text).not.toContain(other);
    const feedHooks = await frame.$$eval('#feed li[data-attempt-id] .url', (els) => els.map((e) => e.textContent));
    expect(feedHooks.length).toBeGreaterThan(0);
    expect(new Set(feedHooks)).toEqual(new Set(['Acme compliance inbox']));
    // Branded: the product's name and accent colour, a light scheme; no project name, no key button.
    expect(await frame.textContent('#brand')).toBe('RegPilot');
    expect(await frame.title()).toBe('RegPilot webhooks');
    expect(await frame.$eval('#brand', (e) => getComputedStyle(e).color)).toBe('rgb(228, 87, 46)');
    expect(await frame.$eval('body', (e) => getComputedStyle(e).backgroundColor)).toBe('rgb(246, 247, 249)');
    expect(await frame.isVisible('#forget')).toBe(false);
    expect(await frame.textContent('#project-name')).toBe('');
  });

  it('keeps the token in memory only: the fragment is wiped, nothing stored, never in a request URL', async () => {
    const state = await frame.evaluate(() => ({
      hash: location.hash,
      href: location.href,
      session: sessionStorage.length,
      local: localStorage.length,
      cookies: document.cookie,
      history: history.length,
    }));
    expect(state).toMatchObject({ hash: '', session: 0, local: 0, cookies: '' });
    expect(state.href).not.toContain(token);
    expect(requested.filter((u) => u.includes(token))).toEqual([]);
    expect(requested.some((u) => u.startsWith(`${h.url}/portal?brand=RegPilot`))).toBe(true);
  });

  it("streams A's new attempts live and never B's", async () => {
    await frame.waitForSelector('#live[data-state="connected"]');
    const warm = await publish('report.filed', 'acme');
    await frame.waitForSelector(`#feed li[data-event-id="${warm}"]`, { timeout: 15_000 });
    const theirs = await publish('report.filed', 'globex');
    await settled(theirs);
    const ours = await publish('report.approved', 'acme');
    await frame.waitForSelector(`#feed li[data-event-id="${ours}"]`, { timeout: 5_000 });
    expect(await frame.$(`#feed li[data-event-id="${theirs}"]`)).toBeNull();
    expect(await frame.$eval('#feed li', (e) => e.getAttribute('data-event-id'))).toBe(ours);
  });

  it("opens an attempt with the receiver's credential as a hint, and sends it again", async () => {
    await frame.click(`#feed li[data-attempt-id] button.row`);
    await frame.waitForSelector('#attempt-dialog[open] .facts', { timeout: 5_000 });
    const headers = (await frame.locator('#attempt-dialog section.block', { hasText: 'Request headers' }).textContent()) ?? '';
    expect(headers).toContain('"Authorization": "••••7Q9Z"');
    expect(headers).not.toContain('acme-receiver-credential');
    const before = acme.requests.length;
    await frame.getByRole('button', { name: /Send again|Retry delivery/ }).click();
    const [again] = (await acme.waitFor(before + 1)).slice(before);
    // On the wire, and only there, the credential is whole.
    expect(again.headers.authorization).toBe(CREDENTIAL);
    await frame.waitForSelector('#attempt-dialog:not([open])', { state: 'attached', timeout: 5_000 });
  });

  it('sends a test event and rotates the signing secret, shown once', async () => {
    const before = acme.requests.length;
    await frame.getByRole('button', { name: 'Send test event' }).click();
    await frame.waitForSelector('#test-dialog[open]');
    await frame.click('#test-send');
    const [test] = (await acme.waitFor(before + 1)).slice(before);
    expect(JSON.parse(test.body)).toMatchObject({ type: 'webhook.test', data: { test: true } });

    await frame.getByRole('button', { name: 'Rotate secret' }).click();
    await frame.waitForSelector('#secret-dialog[open]');
    await frame.getByRole('button', { name: 'Rotate now' }).click();
    const secret = (await (await frame.waitForSelector('#new-secret', { timeout: 5_000 })).textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const { webhook } = await h.ok('query($id: ID!) { webhook(id: $id) { secretHint } }', { id: hooks.acme }, project.key);
    expect(webhook.secretHint).toBe(secret.slice(-4));
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-secret.png') });
    await frame.click('#secret-close');
    // The dialog's `close` event, which empties it, comes a task after the click.
    await expect.poll(() => frame.textContent('#secret-body')).toBe('');

    const next = acme.requests.length;
    const eventId = await publish('report.rotated', 'acme');
    const [signed] = (await acme.waitFor(next + 1)).slice(next);
    expect(new StandardWebhook(secret).verify(signed.body, signed.headers as Record<string, string>)).toMatchObject({ id: eventId });
    await frame.waitForSelector(`#webhooks li[data-webhook-id="${hooks.acme}"] .secret-hint:text("••••${secret.slice(-4)}")`, { timeout: 5_000 });
    // The README's picture: src/api/dashboard/portal-screenshot.png is a copy of this one.
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-1280.png'), fullPage: true });
  });

  it("B's portal shows B's endpoints only", async () => {
    const frameB = await openEmbedded(await mint('globex'), '?theme=' + encodeURIComponent(JSON.stringify({ brand: 'RegPilot', accent: '#0b7a75' })));
    const ids = await frameB.$$eval('#webhooks li.hook', (els) => els.map((e) => e.getAttribute('data-webhook-id')));
    expect(ids).toEqual([hooks.globex]);
    expect(await frameB.textContent('main')).not.toContain('Acme compliance inbox');
    expect(await frameB.$eval('#brand', (e) => getComputedStyle(e).color)).toBe('rgb(11, 122, 117)');
  });

  it('also opens at /dashboard#token=… (not framed): the portal, nothing stored, no key form', async () => {
    const direct = await mint('acme');
    await page.goto(`${h.url}/dashboard#token=${direct}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.$$eval('#webhooks li.hook', (els) => els.map((e) => e.getAttribute('data-webhook-id')))).toEqual([hooks.acme]);
    expect(await page.evaluate(() => ({ url: location.href, session: sessionStorage.length }))).toEqual({ url: `${h.url}/dashboard`, session: 0 });
    expect(await page.isVisible('#key-screen')).toBe(false);
  });

  it('an expired token shows a clear message, not a broken page; so does one expiring while open', async () => {
    const short = await mint('acme', 1);
    await waitUntil(
      async () => (await h.gql('{ viewer { scope } }', {}, short)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      15_000,
      'the token to expire',
    );
    const expired = await openEmbedded(short);
    expect(await expired.getAttribute('body', 'data-ready')).toBe('expired');
    expect(await expired.isVisible('#expired-screen')).toBe(true);
    expect(await expired.textContent('#expired-screen h2')).toBe('This link has expired');
    expect(await expired.isVisible('#dashboard')).toBe(false);
    expect(await expired.isVisible('#key-screen')).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'portal-expired.png') });

    const brief = await mint('acme', 8);
    const open = await openEmbedded(brief);
    await open.waitForSelector('body[data-ready="expired"]', { timeout: 20_000 });
    expect(await open.isVisible('#expired-screen')).toBe(true);
    expect(await open.isVisible('#dashboard')).toBe(false);
  });

  it('sends its CSP: framed by the configured SaaS origin only; /dashboard by nobody', async () => {
    const res = await fetch(`${h.url}/portal`);
    expect(res.headers.get('content-security-policy')).toContain(`frame-ancestors ${saas.origin}`);
    expect((await fetch(`${h.url}/dashboard`)).headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // Another site's frame is refused by the browser itself.
    const refused: string[] = [];
    page.on('console', (msg) => {
      if (/frame-ancestors/.test(msg.text())) refused.push(msg.text());
    });
    stranger.src = `${h.url}/portal#token=${token}`;
    await page.goto(`${stranger.origin}/webhooks`);
    await waitUntil(() => refused.length > 0, 10_000, 'Chromium to refuse the frame');
    expect(page.frames().some((f) => f.url().startsWith(`${h.url}/portal`) && f.isDetached() === false)).toBe(false);
  });

  it('a portal page without a token is a clear page too, and nothing failed during the session', async () => {
    await page.goto(`${h.url}/portal`);
    await page.waitForSelector('body[data-ready="expired"]');
    expect(await page.textContent('#expired-screen h2')).toBe('This link does not open anything');
    expect(problems).toEqual([]);
  });
});
