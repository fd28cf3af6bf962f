// GraphiQL as a new user meets it, in a real browser with no way out: every request the page makes
// is intercepted, and anything not on loopback is refused and fails the test.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { TEST_ADMIN_KEY } from '../support/env.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

let h: Harness;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** Loopback hosts, and the page's own blob:/data: URLs (GraphiQL's editor workers are blobs). */
function staysOnHost(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'blob:' || protocol === 'data:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

it('renders the editor from the package and runs a query, with no request leaving the host', async () => {
  await h.createProject('Seen in GraphiQL');
  const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
  const seen: string[] = [];
  const refused: string[] = [];
  context.on('request', (req) => seen.push(req.url()));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (staysOnHost(url)) return route.continue();
    refused.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (!staysOnHost(ws.url().replace(/^ws/, 'http'))) refused.push(ws.url());
    else ws.connectToServer();
  });
  const page = await context.newPage();
  const query = '{ projects(first: 5) { edges { node { name } } } }';
  await page.goto(`${h.url}/graphql?query=${encodeURIComponent(query)}`);

  // The editor is up: its query pane holds the query from the URL.
  await page.locator('.graphiql-container').first().waitFor({ timeout: 15_000 });
  await expect.poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 15_000 }).toContain('projects');

  // The key goes where a user types it: the Headers tab.
  await page.getByRole('button', { name: 'Headers' }).click();
  await page.locator('.graphiql-editor-tool .graphiql-editor').last().click();
  await page.keyboard.insertText(JSON.stringify({ authorization: `Bearer ${TEST_ADMIN_KEY}` }));

  await page.locator('.graphiql-execute-button').click();
  // Monaco lays text out with non-breaking spaces.
  const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
  await expect.poll(response, { timeout: 15_000 }).toContain('"name": "Seen in GraphiQL"');

  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'graphiql.png') });
  await context.close();

  expect(refused).toEqual([]);
  expect(seen.filter((u) => !staysOnHost(u))).toEqual([]);
  // The query really went through the page's own fetch to this server.
  expect(seen).toContain(`${h.url}/graphql`);
});
