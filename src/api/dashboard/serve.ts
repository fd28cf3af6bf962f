import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { packageRoot } from '../../core/packageRoot.ts';

/** Where `npm run build:dashboard` (run by `npm install`) writes the page. */
export const DASHBOARD_BUILD_DIR = path.join(packageRoot(import.meta.dirname), 'dist/dashboard');

// `/portal` is the same page, meant to be embedded (see `frame-ancestors` below): opened with a tenant
// token in its fragment, it is that tenant's portal.
const ASSETS: Record<string, { file: string; type: string; embeddable?: true }> = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/portal': { file: 'index.html', type: 'text/html; charset=utf-8', embeddable: true },
  '/portal/': { file: 'index.html', type: 'text/html; charset=utf-8', embeddable: true },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

// Everything the page loads comes from this server; the key never leaves it but for our own API.
// No referrer: the page's URL (theme and all) is not handed to anyone.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";
function securityHeaders(frameAncestors: string) {
  return {
    'content-security-policy': `${CSP}; frame-ancestors ${frameAncestors}`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

interface Asset {
  body: Buffer;
  etag: string;
}

/**
 * Serves the dashboard's few built files from memory, revalidated by ETag. A missing build is
 * reported as such (and looked for again on the next request), not as a blank page.
 */
export function createDashboardRoute(
  dir = DASHBOARD_BUILD_DIR,
  opts: { portalFrameAncestors?: string } = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const dashboardHeaders = securityHeaders("'none'");
  // The dashboard itself is never framed; the portal by the pages HOOKPOST_PORTAL_FRAME_ANCESTORS names.
  const portalHeaders = securityHeaders(opts.portalFrameAncestors ?? "'none'");
  const cache = new Map<string, Asset>();
  const load = async (file: string): Promise<Asset> => {
    let asset = cache.get(file);
    if (!asset) {
      const body = await readFile(path.join(dir, file));
      asset = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      cache.set(file, asset);
    }
    return asset;
  };
  return (req, res) => {
    const asset = ASSETS[(req.url ?? '').split('?')[0]];
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    load(asset.file).then(
      ({ body, etag }) => {
        const headers = { ...(asset.embeddable ? portalHeaders : dashboardHeaders), 'content-type': asset.type, 'cache-control': 'no-cache', etag };
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
        res.writeHead(200, { ...headers, 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('The dashboard is not built: run `npm run build:dashboard` (npm install does it).\n');
      },
    );
    return true;
  };
}
