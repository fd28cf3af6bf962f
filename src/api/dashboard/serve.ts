import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { packageRoot } from '../../core/packageRoot.ts';

/** Where `npm run build:dashboard` (run by `npm install`) writes the page. */
export const DASHBOARD_BUILD_DIR = path.join(packageRoot(import.meta.dirname), 'dist/dashboard');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

// Everything the page loads comes from this server; the key never leaves it but for our own API.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  etag: string;
}

/**
 * Serves the dashboard's few built files from memory, revalidated by ETag. A missing build is
 * reported as such (and looked for again on the next request), not as a blank page.
 */
export function createDashboardRoute(dir = DASHBOARD_BUILD_DIR): (req: IncomingMessage, res: ServerResponse) => boolean {
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
        const headers = { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache', etag };
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
