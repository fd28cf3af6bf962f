import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/api/dashboard/build.ts';
import { createDashboardRoute } from '../../src/api/dashboard/serve.ts';

let dir: string;
const servers: Server[] = [];

async function serve(from: string, portalFrameAncestors?: string): Promise<string> {
  const route = createDashboardRoute(from, { portalFrameAncestors });
  const server = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hookpost-dashboard-'));
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('/dashboard', () => {
  it('says how to build it when it is not built, then serves the build without restarting', async () => {
    const url = await serve(dir);
    const missing = await fetch(`${url}/dashboard`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build:dashboard');
    await buildDashboard(dir);
    const page = await fetch(`${url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    // Only our own two assets, by path: nothing from another host.
    expect([...html.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1])).toEqual(['data:,', '/dashboard/app.css', '/dashboard/app.js']);
  });

  it('serves the script and stylesheet with their types, revalidated by ETag, and nothing else', async () => {
    const url = await serve(dir);
    for (const [file, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['app.css', 'text/css; charset=utf-8'],
    ]) {
      const res = await fetch(`${url}/dashboard/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const again = await fetch(`${url}/dashboard/${file}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${url}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/dashboard/index.html`)).status).toBe(404);
  });

  it('serves the same page at /portal, framable only by the configured ancestors; /dashboard never', async () => {
    await buildDashboard(dir);
    const url = await serve(dir, "'self' https://app.regpilot.com");
    const dashboard = await fetch(`${url}/dashboard`);
    const portal = await fetch(`${url}/portal`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toBe(await dashboard.text());
    expect(portal.headers.get('content-security-policy')).toMatch(/; frame-ancestors 'self' https:\/\/app\.regpilot\.com$/);
    expect(portal.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(dashboard.headers.get('content-security-policy')).toMatch(/; frame-ancestors 'none'$/);
    expect(portal.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
